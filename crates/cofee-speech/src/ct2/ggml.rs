//! whisper.cpp's ggml model file (the "ggml" container `whisper_model_load` reads, not GGUF):
//! the magic, eleven i32 hyper-parameters, the mel filter bank, the text tokens, then each
//! tensor — dimensions innermost first, its name, its data. whisper.cpp fixes every tensor's type
//! from the header's `ftype`, so the types here follow its loader: f32 for biases, norms and
//! positional embeddings, f16 for the convolution kernels, and the weight type for every
//! matrix (the token embedding included).

use std::io::Write;

/// `0x67676d6c`, "ggml" read as a little-endian u32.
const MAGIC: u32 = 0x6767_6d6c;
/// The quantisation format version whisper.cpp's `quantize` writes into `ftype` (× 1000).
const QNT_VERSION: i32 = 2;

/// The type of the weight matrices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightType {
    F16,
    Q8_0,
    Q5_0,
}

impl WeightType {
    pub const ALL: [Self; 3] = [Self::F16, Self::Q8_0, Self::Q5_0];

    pub fn name(self) -> &'static str {
        match self {
            Self::F16 => "f16",
            Self::Q8_0 => "q8_0",
            Self::Q5_0 => "q5_0",
        }
    }

    /// The header's `ftype`: ggml's file type, with the quantisation version for quantised
    /// files (as `quantize` writes them: q8_0 → 2007, q5_0 → 2008).
    fn header(self) -> i32 {
        match self {
            Self::F16 => 1,
            Self::Q8_0 => QNT_VERSION * 1000 + 7,
            Self::Q5_0 => QNT_VERSION * 1000 + 8,
        }
    }
}

/// ggml's tensor type ids (not the file-type numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TensorType {
    F32 = 0,
    F16 = 1,
    Q5_0 = 6,
    Q8_0 = 8,
}

/// The hyper-parameters, in the header's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hparams {
    pub n_vocab: usize,
    pub n_audio_ctx: usize,
    pub n_audio_state: usize,
    pub n_audio_head: usize,
    pub n_audio_layer: usize,
    pub n_text_ctx: usize,
    pub n_text_state: usize,
    pub n_text_head: usize,
    pub n_text_layer: usize,
    pub n_mels: usize,
}

/// A tensor's values, as the source had them: f16 bits are copied as they are to an f16 tensor.
pub enum Values {
    F32(Vec<f32>),
    F16(Vec<u16>),
}

impl Values {
    fn f32(&self) -> Vec<f32> {
        match self {
            Self::F32(v) => v.clone(),
            Self::F16(v) => v.iter().map(|b| half::f16::from_bits(*b).to_f32()).collect(),
        }
    }

    fn f16(&self) -> Vec<u16> {
        match self {
            Self::F16(v) => v.clone(),
            Self::F32(v) => v.iter().map(|x| half::f16::from_f32(*x).to_bits()).collect(),
        }
    }
}

/// A tensor to write: its whisper.cpp name, shape (outermost first, as numpy has it) and values.
pub struct Tensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub values: Values,
}

/// The type whisper.cpp's loader expects for a tensor.
pub fn tensor_type(name: &str, shape: &[usize], weights: WeightType) -> TensorType {
    if name.ends_with("positional_embedding") || name.ends_with(".bias") || shape.len() == 1 {
        TensorType::F32
    } else if name.starts_with("encoder.conv") {
        TensorType::F16 // even in quantised files
    } else {
        match weights {
            WeightType::F16 => TensorType::F16,
            WeightType::Q8_0 => TensorType::Q8_0,
            WeightType::Q5_0 => TensorType::Q5_0,
        }
    }
}

pub fn write_header(
    w: &mut impl Write,
    hp: &Hparams,
    weights: WeightType,
    filters: &[f32],
    tokens: &[Vec<u8>],
) -> std::io::Result<()> {
    w.write_all(&MAGIC.to_le_bytes())?;
    let fields = [
        hp.n_vocab,
        hp.n_audio_ctx,
        hp.n_audio_state,
        hp.n_audio_head,
        hp.n_audio_layer,
        hp.n_text_ctx,
        hp.n_text_state,
        hp.n_text_head,
        hp.n_text_layer,
        hp.n_mels,
    ];
    for f in fields {
        i32(w, f)?;
    }
    w.write_all(&weights.header().to_le_bytes())?;
    i32(w, hp.n_mels)?;
    i32(w, super::mel::N_FFT_BINS)?;
    for x in filters {
        w.write_all(&x.to_le_bytes())?;
    }
    i32(w, tokens.len())?;
    for t in tokens {
        i32(w, t.len())?;
        w.write_all(t)?;
    }
    Ok(())
}

/// Writes one tensor record; its type from [`tensor_type`].
pub fn write_tensor(w: &mut impl Write, t: &Tensor, weights: WeightType) -> std::io::Result<()> {
    let ty = tensor_type(&t.name, &t.shape, weights);
    i32(w, t.shape.len())?;
    i32(w, t.name.len())?;
    i32(w, ty as usize)?;
    for d in t.shape.iter().rev() {
        i32(w, *d)?; // ggml's ne: the innermost dimension first
    }
    w.write_all(t.name.as_bytes())?;
    let row = *t.shape.last().expect("a tensor has a shape");
    match ty {
        TensorType::F32 => t.values.f32().iter().try_for_each(|x| w.write_all(&x.to_le_bytes())),
        TensorType::F16 => t.values.f16().iter().try_for_each(|x| w.write_all(&x.to_le_bytes())),
        TensorType::Q8_0 => w.write_all(&quantise(&t.values.f32(), row, q8_0_block)),
        TensorType::Q5_0 => w.write_all(&quantise(&t.values.f32(), row, q5_0_block)),
    }
}

fn i32(w: &mut impl Write, v: usize) -> std::io::Result<()> {
    let v = i32::try_from(v).map_err(|_| std::io::Error::other("a size beyond i32"))?;
    w.write_all(&v.to_le_bytes())
}

/// Quantisation works in blocks of 32 along each row (every Whisper row length is a multiple).
pub const QK: usize = 32;

fn quantise(values: &[f32], row: usize, block: fn(&[f32], &mut Vec<u8>)) -> Vec<u8> {
    assert_eq!(row % QK, 0, "rows are whole blocks");
    let mut out = Vec::with_capacity(values.len() / QK * 34);
    for chunk in values.chunks_exact(QK) {
        block(chunk, &mut out);
    }
    out
}

fn f16_bytes(x: f32) -> [u8; 2] {
    half::f16::from_f32(x).to_bits().to_le_bytes()
}

/// ggml's `quantize_row_q8_0_ref`: a f16 scale and 32 signed bytes, rounded half away from zero.
fn q8_0_block(x: &[f32], out: &mut Vec<u8>) {
    let amax = x.iter().fold(0f32, |m, v| m.max(v.abs()));
    let d = amax / 127.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    out.extend_from_slice(&f16_bytes(d));
    out.extend(x.iter().map(|v| (v * id).round() as i8 as u8));
}

/// ggml's `quantize_row_q5_0_ref`: a f16 scale, the fifth bits of the 32 values, and their low
/// nibbles two to a byte.
fn q5_0_block(x: &[f32], out: &mut Vec<u8>) {
    let (mut amax, mut max) = (0f32, 0f32);
    for v in x {
        if amax < v.abs() {
            amax = v.abs();
            max = *v;
        }
    }
    let d = max / -16.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    let q = |v: f32| ((v * id + 16.5) as i8).min(31) as u8;
    let mut qh = 0u32;
    let mut qs = [0u8; QK / 2];
    for j in 0..QK / 2 {
        let (a, b) = (q(x[j]), q(x[j + QK / 2]));
        qs[j] = (a & 0x0f) | ((b & 0x0f) << 4);
        qh |= u32::from((a & 0x10) >> 4) << j;
        qh |= u32::from((b & 0x10) >> 4) << (j + QK / 2);
    }
    out.extend_from_slice(&f16_bytes(d));
    out.extend_from_slice(&qh.to_le_bytes());
    out.extend_from_slice(&qs);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dequantise_q8_0(block: &[u8]) -> Vec<f32> {
        let d = half::f16::from_bits(u16::from_le_bytes([block[0], block[1]])).to_f32();
        block[2..].iter().map(|q| f32::from(*q as i8) * d).collect()
    }

    fn dequantise_q5_0(block: &[u8]) -> Vec<f32> {
        let d = half::f16::from_bits(u16::from_le_bytes([block[0], block[1]])).to_f32();
        let qh = u32::from_le_bytes(block[2..6].try_into().unwrap());
        let qs = &block[6..];
        let mut out = vec![0.0; QK];
        for j in 0..QK / 2 {
            let hi0 = ((qh >> j) & 1) << 4;
            let hi1 = ((qh >> (j + 16)) & 1) << 4;
            out[j] = (((u32::from(qs[j] & 0x0f) | hi0) as i32) - 16) as f32 * d;
            out[j + 16] = (((u32::from(qs[j] >> 4) | hi1) as i32) - 16) as f32 * d;
        }
        out
    }

    /// Quantised blocks come back (as ggml dequantises them) within their step.
    #[test]
    fn quantised_blocks_dequantise_to_their_values() {
        let x: Vec<f32> = (0..QK).map(|i| ((i as f32) * 0.37).sin() * 2.5).collect();
        let mut q8 = Vec::new();
        q8_0_block(&x, &mut q8);
        assert_eq!(q8.len(), 34);
        for (a, b) in x.iter().zip(dequantise_q8_0(&q8)) {
            assert!((a - b).abs() <= 2.5 / 127.0, "{a} vs {b}");
        }
        let mut q5 = Vec::new();
        q5_0_block(&x, &mut q5);
        assert_eq!(q5.len(), 22);
        for (a, b) in x.iter().zip(dequantise_q5_0(&q5)) {
            assert!((a - b).abs() <= 2.5 / 16.0 + 1e-3, "{a} vs {b}");
        }
        let mut zero = Vec::new();
        q8_0_block(&[0.0; QK], &mut zero);
        assert!(dequantise_q8_0(&zero).iter().all(|v| *v == 0.0));
    }

    #[test]
    fn types_follow_whisper_cpps_loader() {
        use TensorType::*;
        let t = |n: &str, s: &[usize], w| tensor_type(n, s, w);
        assert_eq!(t("encoder.positional_embedding", &[1500, 512], WeightType::Q8_0), F32);
        assert_eq!(t("encoder.conv1.weight", &[512, 80, 3], WeightType::Q8_0), F16);
        assert_eq!(t("encoder.conv1.bias", &[512, 1], WeightType::F16), F32);
        assert_eq!(t("decoder.blocks.0.attn_ln.weight", &[512], WeightType::F16), F32);
        assert_eq!(t("decoder.token_embedding.weight", &[51865, 512], WeightType::Q5_0), Q5_0);
        assert_eq!(t("encoder.blocks.3.mlp.0.weight", &[2048, 512], WeightType::F16), F16);
    }
}
