//! OLE2 compound files (the container of `.xls`): the allocation table,
//! checked for loops, and streams by name. calamine has its own reader;
//! this one exists because calamine 0.38 follows a looping chain without
//! end, and because `.xls` number formats are read from the `Workbook`
//! stream here (see `cell_forms`).

pub(crate) const MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

const RESERVED: u32 = 0xFFFF_FFFA;
const DIFSECT: u32 = 0xFFFF_FFFC;
const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
/// Streams shorter than this live in the mini stream, in 64-byte sectors.
const MINI_CUTOFF: u64 = 4096;

/// An OLE2 file in memory, with a sound allocation table.
pub(crate) struct Ole<'a> {
    bytes: &'a [u8],
    size: usize,
    fat: Vec<u32>,
    dir_start: u32,
    mini_fat_start: u32,
}

/// Why a file cannot be read as OLE2: not one at all, or damaged.
pub(crate) enum OleError {
    /// Not an OLE2 file, or one this reader does not follow; calamine's
    /// own errors say more.
    NotOle,
    Damaged(String),
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

impl<'a> Ole<'a> {
    /// Reads the header and the allocation table as calamine does, and
    /// refuses a table in which a chain loops.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Ole<'a>, OleError> {
        if bytes.len() < 512 || !bytes.starts_with(&MAGIC) {
            return Err(OleError::NotOle);
        }
        let size = match u16::from_le_bytes([bytes[30], bytes[31]]) {
            0x09 => 512,
            0x0C => 4096,
            _ => return Err(OleError::NotOle),
        };
        let mut ole = Ole {
            bytes,
            size,
            fat: Vec::new(),
            dir_start: u32_at(bytes, 48),
            mini_fat_start: u32_at(bytes, 60),
        };
        let maxid = (bytes.len() / size) as u64;
        let mut difat: Vec<u32> = (0..109).map(|i| u32_at(bytes, 76 + i * 4)).collect();
        let mut next = u32_at(bytes, 68);
        let mut steps = 0u64;
        while next < RESERVED {
            steps += 1;
            let Some(sector) = ole.sector(next).filter(|_| steps <= maxid + 1) else {
                return Err(OleError::NotOle); // calamine refuses this itself
            };
            difat.extend((0..sector.len() / 4).map(|i| u32_at(sector, i * 4)));
            next = difat.pop().unwrap_or(END_OF_CHAIN);
        }
        let mut fat = Vec::new();
        for id in difat.into_iter().filter(|&id| id < DIFSECT) {
            let sector = ole.sector(id).ok_or(OleError::NotOle)?;
            fat.extend((0..sector.len() / 4).map(|i| u32_at(sector, i * 4)));
        }
        if let Some(at) = first_loop(&fat) {
            return Err(OleError::Damaged(format!(
                "the sector chain through sector {at} loops"
            )));
        }
        ole.fat = fat;
        Ok(ole)
    }

    /// Sector `id` (the header takes the first sector's place), short at
    /// the end of the file; `None` past it.
    fn sector(&self, id: u32) -> Option<&'a [u8]> {
        let start = (id as usize).checked_add(1)?.checked_mul(self.size)?;
        let end = (start + self.size).min(self.bytes.len());
        (start < end).then(|| &self.bytes[start..end])
    }

    /// The bytes of the chain from `start` in `table`, `len` of them at most.
    fn chain(&self, start: u32, len: u64, mini: Option<(&[u32], &[u8])>) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut id = start;
        // Chains in `fat` end (checked in `parse`); the mini table is
        // bounded by its length.
        let (table, limit) = match mini {
            Some((table, _)) => (table, table.len() + 1),
            None => (&self.fat[..], self.fat.len() + 1),
        };
        for _ in 0..limit {
            if id == END_OF_CHAIN || out.len() as u64 >= len {
                break;
            }
            let piece = match mini {
                Some((_, stream)) => stream.get(id as usize * 64..(id as usize + 1) * 64)?,
                None => self.sector(id)?,
            };
            out.extend_from_slice(piece);
            id = *table.get(id as usize)?;
        }
        out.truncate(len.min(out.len() as u64) as usize);
        Some(out)
    }

    /// The stream named `name` (any case) in the file's directory.
    pub(crate) fn stream(&self, name: &str) -> Option<Vec<u8>> {
        let dirs = self.chain(self.dir_start, u64::MAX, None)?;
        let entry = |i: usize| dirs.get(i * 128..(i + 1) * 128);
        let root = entry(0)?;
        for i in 1..dirs.len() / 128 {
            let e = entry(i)?;
            let name_len = usize::from(u16::from_le_bytes([e[64], e[65]])).min(64);
            let units: Vec<u16> = (0..name_len.saturating_sub(2) / 2)
                .map(|k| u16::from_le_bytes([e[k * 2], e[k * 2 + 1]]))
                .collect();
            if e[66] != 2 || !String::from_utf16_lossy(&units).eq_ignore_ascii_case(name) {
                continue;
            }
            let (start, len) = (u32_at(e, 116), u64::from(u32_at(e, 120)));
            if len >= MINI_CUTOFF {
                return self.chain(start, len, None);
            }
            let mini_stream = self.chain(u32_at(root, 116), u64::from(u32_at(root, 120)), None)?;
            let mini_fat = self.chain(self.mini_fat_start, u64::MAX, None)?;
            let mini_fat: Vec<u32> = (0..mini_fat.len() / 4)
                .map(|k| u32_at(&mini_fat, k * 4))
                .collect();
            return self.chain(start, len, Some((&mini_fat, &mini_stream)));
        }
        None
    }
}

/// The first sector on a loop of `fat`, if any: in a sound file every
/// chain ends.
fn first_loop(fat: &[u32]) -> Option<usize> {
    // 0: not seen, 1: on the path being walked, 2: known to end.
    let mut state = vec![0u8; fat.len()];
    let mut path = Vec::new();
    for start in 0..fat.len() {
        let mut at = start;
        while at < fat.len() && state[at] == 0 {
            state[at] = 1;
            path.push(at);
            at = fat[at] as usize;
        }
        if at < fat.len() && state[at] == 1 {
            return Some(at);
        }
        for &p in &path {
            state[p] = 2;
        }
        path.clear();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loop_anywhere_in_the_table_is_found() {
        const END: u32 = END_OF_CHAIN;
        assert_eq!(first_loop(&[1, 2, END, END]), None);
        assert_eq!(first_loop(&[1, 2, 1]), Some(1));
        assert_eq!(first_loop(&[END, 3, END, 3]), Some(3));
        assert_eq!(first_loop(&[0xFFFF_FFFF, 9, END]), None);
    }
}
