//! CTranslate2's `model.bin`, as `ctranslate2/specs/model_spec.py` writes it (binary versions
//! 4 to 6: every Whisper conversion is 6): a header, then each variable (name, shape, type, raw
//! little-endian data), then the aliases (a tied output projection is an alias of the token
//! embedding). Every length is checked against what is left of the file before anything is
//! allocated, so a hostile or truncated file is an error, not an allocation of its claims.

use std::collections::BTreeMap;
use std::io::Read;

use super::ImportError;

/// The element types, by CTranslate2's ids (`include/ctranslate2/types.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F32,
    I8,
    I16,
    I32,
    F16,
    BF16,
}

impl DType {
    fn from_id(id: u8) -> Option<Self> {
        Some(match id {
            0 => Self::F32,
            1 => Self::I8,
            2 => Self::I16,
            3 => Self::I32,
            4 => Self::F16,
            5 => Self::BF16,
            _ => return None,
        })
    }

    pub fn size(self) -> usize {
        match self {
            Self::I8 => 1,
            Self::I16 | Self::F16 | Self::BF16 => 2,
            Self::F32 | Self::I32 => 4,
        }
    }
}

/// One variable: its shape (outermost first), type and data.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    pub shape: Vec<usize>,
    pub dtype: DType,
    pub data: Vec<u8>,
}

impl Variable {
    pub fn elements(&self) -> usize {
        self.shape.iter().product()
    }

    /// The value of a scalar integer (a head count).
    pub fn scalar_int(&self) -> Option<i64> {
        let b = &self.data;
        Some(match self.dtype {
            DType::I8 => i64::from(*b.first()? as i8),
            DType::I16 => i64::from(i16::from_le_bytes(b.get(..2)?.try_into().ok()?)),
            DType::I32 => i64::from(i32::from_le_bytes(b.get(..4)?.try_into().ok()?)),
            _ => return None,
        })
    }

    /// The values as f32: floats widened exactly; int8/int16 weights divided by their scale
    /// (`w = q / scale`, one scale per row for int8 and one for the whole weight for int16, as
    /// CTranslate2 dequantises).
    pub fn to_f32(&self, scale: Option<&Variable>) -> Result<Vec<f32>, String> {
        let b = &self.data;
        let ints = |v: Vec<f32>| -> Result<Vec<f32>, String> {
            let scale = scale.ok_or("a quantised weight without its scale")?.to_f32(None)?;
            let rows = self.shape.first().copied().unwrap_or(1).max(1);
            let per_row = v.len() / rows;
            match scale.len() {
                1 => Ok(v.iter().map(|q| q / scale[0]).collect()),
                n if n == rows => {
                    Ok(v.iter().enumerate().map(|(i, q)| q / scale[i / per_row]).collect())
                }
                n => Err(format!("{n} scales for {rows} rows")),
            }
        };
        match self.dtype {
            DType::F32 => {
                Ok(b.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect())
            }
            DType::F16 => Ok(b
                .chunks_exact(2)
                .map(|c| half::f16::from_bits(u16::from_le_bytes([c[0], c[1]])).to_f32())
                .collect()),
            DType::BF16 => Ok(b
                .chunks_exact(2)
                .map(|c| f32::from_bits(u32::from(u16::from_le_bytes([c[0], c[1]])) << 16))
                .collect()),
            DType::I8 => ints(b.iter().map(|q| f32::from(*q as i8)).collect()),
            DType::I16 => ints(
                b.chunks_exact(2).map(|c| f32::from(i16::from_le_bytes([c[0], c[1]]))).collect(),
            ),
            DType::I32 => Err("an int32 weight".into()),
        }
    }
}

/// A whole `model.bin`.
#[derive(Debug)]
pub struct Ct2Model {
    pub version: u32,
    pub spec: String,
    pub revision: u32,
    variables: BTreeMap<String, Variable>,
    aliases: BTreeMap<String, String>,
}

/// Ranks beyond this are no model's (Whisper's largest is 3).
const MAX_RANK: u8 = 8;

impl Ct2Model {
    /// Reads a model of `len` bytes.
    pub fn read(r: impl Read, len: u64) -> Result<Self, ImportError> {
        let mut r = Bounded { inner: r, left: len };
        let version = r.u32()?;
        if !(4..=6).contains(&version) {
            return Err(ImportError::format(format!(
                "binary version {version}; CTranslate2 writes 4 to 6 for models of this kind (is this a CTranslate2 model.bin?)"
            )));
        }
        let spec = r.string()?;
        let revision = r.u32()?;
        let count = r.u32()?;
        let mut variables = BTreeMap::new();
        for _ in 0..count {
            let name = r.string()?;
            let rank = r.u8()?;
            if rank > MAX_RANK {
                return Err(ImportError::format(format!("{name} has rank {rank}")));
            }
            let shape: Vec<usize> =
                (0..rank).map(|_| r.u32().map(|d| d as usize)).collect::<Result<_, _>>()?;
            let id = r.u8()?;
            let dtype = DType::from_id(id)
                .ok_or_else(|| ImportError::format(format!("{name} has unknown type id {id}")))?;
            let bytes = r.u32()? as usize;
            let expected = shape.iter().try_fold(dtype.size(), |acc, d| acc.checked_mul(*d));
            if expected != Some(bytes) {
                return Err(ImportError::format(format!(
                    "{name}: {bytes} bytes of data for shape {shape:?} of {dtype:?}"
                )));
            }
            let data = r.bytes(bytes)?;
            variables.insert(name, Variable { shape, dtype, data });
        }
        let mut aliases = BTreeMap::new();
        let n = r.u32()?;
        for _ in 0..n {
            let alias = r.string()?;
            let target = r.string()?;
            aliases.insert(alias, target);
        }
        if r.left != 0 {
            return Err(ImportError::format(format!("{} bytes after the aliases", r.left)));
        }
        Ok(Self { version, spec, revision, variables, aliases })
    }

    /// A variable by name, through an alias.
    pub fn get(&self, name: &str) -> Result<&Variable, ImportError> {
        let target = self.aliases.get(name).map_or(name, String::as_str);
        self.variables.get(target).ok_or_else(|| ImportError::Missing(name.to_string()))
    }

    pub fn has(&self, name: &str) -> bool {
        self.aliases.contains_key(name) || self.variables.contains_key(name)
    }

    /// Whether `name` is an alias of `target`.
    pub fn is_alias_of(&self, name: &str, target: &str) -> bool {
        self.aliases.get(name).is_some_and(|t| t == target)
    }

    /// Every variable's name (aliases not included).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.variables.keys().map(String::as_str)
    }
}

/// A reader that knows how much is left and refuses to read past it.
struct Bounded<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Bounded<R> {
    fn bytes(&mut self, n: usize) -> Result<Vec<u8>, ImportError> {
        if n as u64 > self.left {
            return Err(ImportError::format(format!(
                "the file ends {} bytes into a {n}-byte field (truncated?)",
                self.left
            )));
        }
        let mut buf = vec![0; n];
        self.inner
            .read_exact(&mut buf)
            .map_err(|e| ImportError::format(format!("reading: {e}")))?;
        self.left -= n as u64;
        Ok(buf)
    }

    fn u8(&mut self) -> Result<u8, ImportError> {
        Ok(self.bytes(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, ImportError> {
        Ok(u32::from_le_bytes(self.bytes(4)?.try_into().unwrap()))
    }

    /// A u16 length that counts a NUL terminator, the UTF-8 bytes, the NUL.
    fn string(&mut self) -> Result<String, ImportError> {
        let len = u16::from_le_bytes(self.bytes(2)?.try_into().unwrap()) as usize;
        if len == 0 {
            return Err(ImportError::format("a name of length 0"));
        }
        let mut b = self.bytes(len)?;
        b.pop();
        String::from_utf8(b).map_err(|_| ImportError::format("a name that is not UTF-8"))
    }
}
