//! A small MessagePack writer for the messages a protocol-2 bot sends (`input`, `command`),
//! into a buffer the caller reuses, so an input costs no allocation once warm. Every value is
//! written in the form the schema declares (`f32` as float32, `f64` as float64, ints in
//! their smallest encoding), which is what the server's field checks expect.

/// Writes MessagePack into a borrowed buffer.
pub(crate) struct Pack<'a>(pub(crate) &'a mut Vec<u8>);

impl Pack<'_> {
    pub(crate) fn map(&mut self, n: usize) {
        match n {
            0..=15 => self.0.push(0x80 | n as u8),
            16..=0xffff => {
                self.0.push(0xde);
                self.0.extend_from_slice(&(n as u16).to_be_bytes());
            }
            _ => {
                self.0.push(0xdf);
                self.0.extend_from_slice(&(n as u32).to_be_bytes());
            }
        }
    }

    pub(crate) fn str(&mut self, s: &str) {
        let n = s.len();
        match n {
            0..=31 => self.0.push(0xa0 | n as u8),
            32..=0xff => self.0.extend_from_slice(&[0xd9, n as u8]),
            256..=0xffff => {
                self.0.push(0xda);
                self.0.extend_from_slice(&(n as u16).to_be_bytes());
            }
            _ => {
                self.0.push(0xdb);
                self.0.extend_from_slice(&(n as u32).to_be_bytes());
            }
        }
        self.0.extend_from_slice(s.as_bytes());
    }

    pub(crate) fn uint(&mut self, v: u64) {
        match v {
            0..=0x7f => self.0.push(v as u8),
            0x80..=0xff => self.0.extend_from_slice(&[0xcc, v as u8]),
            0x100..=0xffff => {
                self.0.push(0xcd);
                self.0.extend_from_slice(&(v as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                self.0.push(0xce);
                self.0.extend_from_slice(&(v as u32).to_be_bytes());
            }
            _ => {
                self.0.push(0xcf);
                self.0.extend_from_slice(&v.to_be_bytes());
            }
        }
    }

    pub(crate) fn int(&mut self, v: i64) {
        if v >= 0 {
            return self.uint(v as u64);
        }
        match v {
            -32..=-1 => self.0.push(v as i8 as u8),
            -128..=-33 => self.0.extend_from_slice(&[0xd0, v as i8 as u8]),
            -32768..=-129 => {
                self.0.push(0xd1);
                self.0.extend_from_slice(&(v as i16).to_be_bytes());
            }
            -2_147_483_648..=-32769 => {
                self.0.push(0xd2);
                self.0.extend_from_slice(&(v as i32).to_be_bytes());
            }
            _ => {
                self.0.push(0xd3);
                self.0.extend_from_slice(&v.to_be_bytes());
            }
        }
    }

    pub(crate) fn f32(&mut self, v: f32) {
        self.0.push(0xca);
        self.0.extend_from_slice(&v.to_be_bytes());
    }

    pub(crate) fn f64(&mut self, v: f64) {
        self.0.push(0xcb);
        self.0.extend_from_slice(&v.to_be_bytes());
    }

    pub(crate) fn bool(&mut self, v: bool) {
        self.0.push(if v { 0xc3 } else { 0xc2 });
    }
}

#[cfg(test)]
mod tests {
    use super::Pack;
    use serde::Serialize;

    /// Every form matches what rmp-serde writes for the same value.
    #[test]
    fn the_same_bytes_as_rmp_serde() {
        let ints = [0i64, 1, 127, 128, 255, 256, 65535, 65536, -1, -32, -33, -128, -129];
        let more = [-32768i64, -32769, i32::MIN as i64, i32::MIN as i64 - 1, i64::MIN, i64::MAX];
        for v in ints.into_iter().chain(more).chain([u32::MAX as i64, u32::MAX as i64 + 1]) {
            let mut b = Vec::new();
            Pack(&mut b).int(v);
            assert_eq!(b, rmp_serde::to_vec(&v).unwrap(), "{v}");
        }
        for s in ["", "dx", &"a".repeat(31), &"b".repeat(32), &"c".repeat(300)] {
            let mut b = Vec::new();
            Pack(&mut b).str(s);
            assert_eq!(b, rmp_serde::to_vec(s).unwrap(), "{}", s.len());
        }
        #[derive(Serialize)]
        struct T {
            f: f32,
            d: f64,
            t: bool,
            n: bool,
        }
        let mut b = Vec::new();
        let mut p = Pack(&mut b);
        p.map(4);
        for (k, w) in [("f", 0), ("d", 1), ("t", 2), ("n", 3)] {
            p.str(k);
            match w {
                0 => p.f32(0.5),
                1 => p.f64(-2.25),
                2 => p.bool(true),
                _ => p.bool(false),
            }
        }
        let want = rmp_serde::to_vec_named(&T { f: 0.5, d: -2.25, t: true, n: false }).unwrap();
        assert_eq!(b, want);
        let mut b = Vec::new();
        Pack(&mut b).map(16);
        assert_eq!(b, [0xde, 0, 16]);
    }
}
