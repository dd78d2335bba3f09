//! `cofee models import`: a faster-whisper / CTranslate2 Whisper model directory (`config.json`,
//! `model.bin`, the vocabulary) made into a whisper.cpp ggml model in the model store — f16, or
//! quantised (q8_0, q5_0) on request.
//!
//! Written here rather than shelled out to a Python converter: Cofee has no Python at run time,
//! and the conversion is small (read [`model_bin`], split CTranslate2's fused attention
//! projections, compute the mel filter bank CTranslate2 leaves out, write [`ggml`]). What it
//! reads is checked on the way — format version, architecture, every tensor's shape and the
//! count of them, the vocabulary — and the file is written next to its final name and renamed
//! into place, so a failed import leaves nothing behind.

pub mod ggml;
pub mod mel;
pub mod model_bin;
pub mod vocab;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use thiserror::Error;

use self::ggml::{Hparams, Tensor, Values, WeightType};
use self::model_bin::{Ct2Model, DType, Variable};

#[derive(Debug, Error)]
pub enum ImportError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("not a CTranslate2 Whisper model: {0}")]
    Format(String),
    #[error("the model lacks {0} (not a Whisper model, or a conversion Cofee does not know)")]
    Missing(String),
    #[error("{name} has shape {got:?} where a Whisper model of these sizes has {expected:?}")]
    Shape { name: String, expected: Vec<usize>, got: Vec<usize> },
    #[error("cannot be converted to whisper.cpp: {0}")]
    Unsupported(String),
    #[error("vocabulary: {0}")]
    Vocabulary(String),
    #[error("invalid model name {0:?}: use letters, digits, '.', '-' and '_'")]
    BadName(String),
    #[error("{0} is installed already; remove it first, or import under another --name")]
    Exists(PathBuf),
}

impl ImportError {
    fn format(detail: impl Into<String>) -> Self {
        Self::Format(detail.into())
    }

    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io { path: path.to_path_buf(), source }
    }
}

/// What an import made.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub path: PathBuf,
    pub name: String,
    pub hparams: Hparams,
    pub weights: WeightType,
    pub tensors: usize,
    pub bytes: u64,
    /// The decoder's cross-attention heads that follow the audio (`config.json`), for word times.
    pub alignment_heads: Vec<(u32, u32)>,
    /// Things read that were not as expected but did not stop the import.
    pub warnings: Vec<String>,
}

/// The model's directory converted into `store_dir` as `ggml-NAME.bin` (`name` derived from the
/// model's sizes when not given: `base`, `small.en`, `large-v3-q5_0`, …).
pub fn import(
    dir: &Path,
    store_dir: &Path,
    name: Option<&str>,
    weights: WeightType,
) -> Result<Imported, ImportError> {
    let model = read_model(dir)?;
    let tokens = vocab::read(dir)?;
    let config = read_config(dir)?;
    let hp = hparams(&model)?;
    let name = match name {
        Some(n) => n.to_string(),
        None => family(&hp)
            .map(|f| if weights == WeightType::F16 { f } else { format!("{f}-{}", weights.name()) })
            .ok_or_else(|| {
                ImportError::Unsupported(format!(
                    "no known Whisper size has {} encoder and {} decoder layers; name it with --name",
                    hp.n_audio_layer, hp.n_text_layer
                ))
            })?,
    };
    if name.is_empty()
        || name.starts_with('.')
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Err(ImportError::BadName(name));
    }
    std::fs::create_dir_all(store_dir).map_err(ImportError::io(store_dir))?;
    let path = store_dir.join(format!("ggml-{name}.bin"));
    if path.exists() {
        return Err(ImportError::Exists(path)); // an installed model is never replaced unasked
    }
    let part = store_dir.join(format!(".ggml-{name}.bin.part"));
    let written = (|| {
        let file = std::fs::File::create(&part).map_err(ImportError::io(&part))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let (tensors, warnings) = write_ggml(&model, &hp, &tokens, weights, &mut out)?;
        let file = out.into_inner().map_err(|e| ImportError::io(&part)(e.into_error()))?;
        file.sync_all().map_err(ImportError::io(&part))?;
        Ok::<_, ImportError>((tensors, warnings))
    })();
    let (tensors, mut warnings) = match written {
        Ok(w) => w,
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
    };
    let alignment_heads = usable_heads(config.alignment_heads, &hp, &mut warnings);
    // Written before the model is put in place, so an installed model never lacks them.
    if let Err(e) = crate::models::write_heads(&path, &alignment_heads) {
        let _ = std::fs::remove_file(&part);
        return Err(ImportError::io(&crate::models::heads_path(&path))(e));
    }
    if let Err(e) = std::fs::rename(&part, &path) {
        let _ = std::fs::remove_file(&part);
        let _ = std::fs::remove_file(crate::models::heads_path(&path));
        return Err(ImportError::io(&path)(e));
    }
    let bytes = std::fs::metadata(&path).map_err(ImportError::io(&path))?.len();
    Ok(Imported { path, name, hparams: hp, weights, tensors, bytes, alignment_heads, warnings })
}

/// The configured alignment heads that exist in the model (others are warned about and left out).
fn usable_heads(
    heads: Vec<(u32, u32)>,
    hp: &Hparams,
    warnings: &mut Vec<String>,
) -> Vec<(u32, u32)> {
    let (fits, out): (Vec<_>, Vec<_>) = heads
        .into_iter()
        .partition(|(l, h)| (*l as usize) < hp.n_text_layer && (*h as usize) < hp.n_text_head);
    if !out.is_empty() {
        warnings.push(format!(
            "config.json names alignment heads {out:?} outside the decoder's {} layers of {} heads; left out",
            hp.n_text_layer, hp.n_text_head
        ));
    }
    fits
}

fn read_model(dir: &Path) -> Result<Ct2Model, ImportError> {
    let bin = dir.join("model.bin");
    let file = std::fs::File::open(&bin).map_err(ImportError::io(&bin))?;
    let len = file.metadata().map_err(ImportError::io(&bin))?.len();
    let model = Ct2Model::read(std::io::BufReader::with_capacity(1 << 20, file), len)?;
    if model.spec != "WhisperSpec" {
        return Err(ImportError::format(format!("{} is a {:?}", bin.display(), model.spec)));
    }
    if model.revision > 3 {
        return Err(ImportError::Unsupported(format!(
            "WhisperSpec revision {} (this version of Cofee reads up to 3)",
            model.revision
        )));
    }
    Ok(model)
}

#[derive(serde::Deserialize, Default)]
struct Config {
    #[serde(default)]
    alignment_heads: Vec<(u32, u32)>,
}

fn read_config(dir: &Path) -> Result<Config, ImportError> {
    let path = dir.join("config.json");
    let text = std::fs::read_to_string(&path).map_err(ImportError::io(&path))?;
    serde_json::from_str(&text).map_err(|e| ImportError::format(format!("{}: {e}", path.display())))
}

/// The sizes, from the tensors themselves (CTranslate2 keeps no hyper-parameters).
fn hparams(m: &Ct2Model) -> Result<Hparams, ImportError> {
    let dims = |name: &str, rank: usize| -> Result<Vec<usize>, ImportError> {
        let v = m.get(name)?;
        if v.shape.len() != rank {
            return Err(ImportError::format(format!("{name} has shape {:?}", v.shape)));
        }
        Ok(v.shape.clone())
    };
    let heads = |name: &str| -> Result<usize, ImportError> {
        m.get(name)?
            .scalar_int()
            .and_then(|h| usize::try_from(h).ok())
            .filter(|h| *h > 0)
            .ok_or_else(|| ImportError::format(format!("{name} is not a head count")))
    };
    let layers = |side: &str| {
        (0..).take_while(|i| m.has(&format!("{side}/layer_{i}/ffn/linear_0/weight"))).count()
    };
    let audio = dims("encoder/position_encodings/encodings", 2)?;
    let text = dims("decoder/position_encodings/encodings", 2)?;
    let conv1 = dims("encoder/conv1/weight", 3)?;
    let embeddings = dims("decoder/embeddings/weight", 2)?;
    let hp = Hparams {
        n_vocab: embeddings[0],
        n_audio_ctx: audio[0],
        n_audio_state: audio[1],
        n_audio_head: heads("encoder/num_heads")?,
        n_audio_layer: layers("encoder"),
        n_text_ctx: text[0],
        n_text_state: text[1],
        n_text_head: heads("decoder/num_heads")?,
        n_text_layer: layers("decoder"),
        n_mels: conv1[1],
    };
    if hp.n_audio_state != hp.n_text_state || embeddings[1] != hp.n_text_state {
        return Err(ImportError::Unsupported(format!(
            "an encoder of width {} and a decoder of width {} (whisper.cpp needs one width)",
            hp.n_audio_state, hp.n_text_state
        )));
    }
    if hp.n_audio_layer == 0 || hp.n_text_layer == 0 {
        return Err(ImportError::Missing("encoder/layer_0 or decoder/layer_0".into()));
    }
    if !matches!(hp.n_mels, 80 | 128) {
        return Err(ImportError::Unsupported(format!(
            "{} mel bands (Whisper has 80 or 128)",
            hp.n_mels
        )));
    }
    if !hp.n_audio_state.is_multiple_of(ggml::QK)
        || !hp.n_audio_state.is_multiple_of(hp.n_audio_head)
    {
        return Err(ImportError::Unsupported(format!("a width of {}", hp.n_audio_state)));
    }
    Ok(hp)
}

/// The usual name of a model of these sizes, as whisper.cpp names its files.
fn family(hp: &Hparams) -> Option<String> {
    let size = match (hp.n_audio_layer, hp.n_text_layer, hp.n_audio_state) {
        (4, 4, 384) => "tiny",
        (6, 6, 512) => "base",
        (12, 12, 768) => "small",
        (24, 24, 1024) => "medium",
        (32, 32, 1280) if hp.n_vocab == 51_866 => "large-v3",
        (32, 32, 1280) => "large",
        (32, 4, 1280) => "large-v3-turbo",
        (32, 2, 1280) => "distil-large-v3",
        _ => return None,
    };
    Some(if hp.n_vocab < 51_865 { format!("{size}.en") } else { size.to_string() })
}

/// Writes the ggml file: the header, then every tensor in the order OpenAI's checkpoints have
/// them. Returns the tensor count and the warnings.
fn write_ggml(
    m: &Ct2Model,
    hp: &Hparams,
    tokens: &[String],
    weights: WeightType,
    out: &mut impl Write,
) -> Result<(usize, Vec<String>), ImportError> {
    let io = |e: std::io::Error| ImportError::Io {
        path: PathBuf::from("(the model being written)"),
        source: e,
    };
    let token_bytes = vocab::text_token_bytes(tokens, hp.n_vocab)?;
    let mut warnings = Vec::new();
    check_projection(m)?;
    ggml::write_header(out, hp, weights, &mel::filters(hp.n_mels), &token_bytes).map_err(io)?;
    let mut count = 0;
    let mut used = std::collections::BTreeSet::new();
    for spec in tensor_specs(hp) {
        let t = tensor(m, &spec, &mut warnings)?;
        used.insert(spec.source.clone());
        ggml::write_tensor(out, &t, weights).map_err(io)?;
        count += 1;
    }
    // Every variable with data must have been used: a tensor whisper.cpp has no place for would
    // change the model's output if it were dropped.
    let unused: Vec<&str> = m
        .names()
        .filter(|n| {
            !used.contains(*n)
                && !n.ends_with("_scale")
                && m.get(n).is_ok_and(|v| v.shape.len() > 1)
        })
        .filter(|n| *n != "decoder/projection/weight")
        .collect();
    if !unused.is_empty() {
        return Err(ImportError::Unsupported(format!(
            "tensors whisper.cpp has no place for: {}",
            unused.join(", ")
        )));
    }
    let expected = 7 + 15 * hp.n_audio_layer + 4 + 24 * hp.n_text_layer;
    assert_eq!(count, expected, "the tensors whisper.cpp loads");
    Ok((count, warnings))
}

/// whisper.cpp has no output projection of its own: it must be the token embedding.
fn check_projection(m: &Ct2Model) -> Result<(), ImportError> {
    let (p, e) = ("decoder/projection/weight", "decoder/embeddings/weight");
    if !m.has(p) || m.is_alias_of(p, e) {
        return Ok(());
    }
    if m.get(p)?.data != m.get(e)?.data {
        return Err(ImportError::Unsupported(
            "an output projection that differs from the token embedding (an untied fine-tune)"
                .into(),
        ));
    }
    Ok(())
}

/// One whisper.cpp tensor: where its values come from (a variable, or a range of rows of a fused
/// one) and its shape.
struct TensorSpec {
    name: String,
    source: String,
    /// The source's shape: the tensor's own, or the fused projection's.
    source_shape: Vec<usize>,
    /// Rows `[from, to)` of the source's first dimension.
    rows: (usize, usize),
    shape: Vec<usize>,
}

impl TensorSpec {
    fn new(name: impl Into<String>, source: impl Into<String>, shape: &[usize]) -> Self {
        let shape = shape.to_vec();
        Self {
            name: name.into(),
            source: source.into(),
            source_shape: shape.clone(),
            rows: (0, shape[0]),
            shape,
        }
    }

    /// Rows `from..from + rows` of a fused projection with `total` rows.
    fn fused(
        name: impl Into<String>,
        source: impl Into<String>,
        shape: &[usize],
        from: usize,
        total: usize,
    ) -> Self {
        let mut source_shape = shape.to_vec();
        source_shape[0] = total;
        Self { rows: (from, from + shape[0]), source_shape, ..Self::new(name, source, shape) }
    }

    /// A convolution bias: `[d]` in CTranslate2, `[d, 1]` for whisper.cpp.
    fn conv_bias(name: &str, source: &str, d: usize) -> Self {
        Self { source_shape: vec![d], ..Self::new(name, source, &[d, 1]) }
    }
}

fn tensor_specs(hp: &Hparams) -> Vec<TensorSpec> {
    let d = hp.n_audio_state;
    let mut out = vec![
        TensorSpec::new(
            "encoder.positional_embedding",
            "encoder/position_encodings/encodings",
            &[hp.n_audio_ctx, d],
        ),
        TensorSpec::new("encoder.conv1.weight", "encoder/conv1/weight", &[d, hp.n_mels, 3]),
        TensorSpec::conv_bias("encoder.conv1.bias", "encoder/conv1/bias", d),
        TensorSpec::new("encoder.conv2.weight", "encoder/conv2/weight", &[d, d, 3]),
        TensorSpec::conv_bias("encoder.conv2.bias", "encoder/conv2/bias", d),
    ];
    for i in 0..hp.n_audio_layer {
        let (ours, theirs) = (format!("encoder.blocks.{i}"), format!("encoder/layer_{i}"));
        out.extend(self_attention(&format!("{ours}.attn"), &format!("{theirs}/self_attention"), d));
        out.extend(feed_forward(&ours, &theirs, d));
    }
    out.extend([
        TensorSpec::new("encoder.ln_post.weight", "encoder/layer_norm/gamma", &[d]),
        TensorSpec::new("encoder.ln_post.bias", "encoder/layer_norm/beta", &[d]),
        TensorSpec::new(
            "decoder.positional_embedding",
            "decoder/position_encodings/encodings",
            &[hp.n_text_ctx, d],
        ),
        TensorSpec::new(
            "decoder.token_embedding.weight",
            "decoder/embeddings/weight",
            &[hp.n_vocab, d],
        ),
    ]);
    for i in 0..hp.n_text_layer {
        let (ours, theirs) = (format!("decoder.blocks.{i}"), format!("decoder/layer_{i}"));
        out.extend(self_attention(&format!("{ours}.attn"), &format!("{theirs}/self_attention"), d));
        out.extend(cross_attention(
            &format!("{ours}.cross_attn"),
            &format!("{theirs}/attention"),
            d,
        ));
        out.extend(feed_forward(&ours, &theirs, d));
    }
    out.extend([
        TensorSpec::new("decoder.ln.weight", "decoder/layer_norm/gamma", &[d]),
        TensorSpec::new("decoder.ln.bias", "decoder/layer_norm/beta", &[d]),
    ]);
    out
}

/// Self-attention: CTranslate2 fuses query, key and value into one projection of 3d rows (and
/// gives the key a bias of zeros, which whisper's key has not: left out).
fn self_attention(ours: &str, theirs: &str, d: usize) -> Vec<TensorSpec> {
    let (w, b) = (format!("{theirs}/linear_0/weight"), format!("{theirs}/linear_0/bias"));
    vec![
        TensorSpec::fused(format!("{ours}.query.weight"), &w, &[d, d], 0, 3 * d),
        TensorSpec::fused(format!("{ours}.query.bias"), &b, &[d], 0, 3 * d),
        TensorSpec::fused(format!("{ours}.key.weight"), &w, &[d, d], d, 3 * d),
        TensorSpec::fused(format!("{ours}.value.weight"), &w, &[d, d], 2 * d, 3 * d),
        TensorSpec::fused(format!("{ours}.value.bias"), &b, &[d], 2 * d, 3 * d),
        TensorSpec::new(format!("{ours}.out.weight"), format!("{theirs}/linear_1/weight"), &[d, d]),
        TensorSpec::new(format!("{ours}.out.bias"), format!("{theirs}/linear_1/bias"), &[d]),
        TensorSpec::new(format!("{ours}_ln.weight"), format!("{theirs}/layer_norm/gamma"), &[d]),
        TensorSpec::new(format!("{ours}_ln.bias"), format!("{theirs}/layer_norm/beta"), &[d]),
    ]
}

/// Cross-attention: the query alone, key and value fused into 2d rows.
fn cross_attention(ours: &str, theirs: &str, d: usize) -> Vec<TensorSpec> {
    let (w, b) = (format!("{theirs}/linear_1/weight"), format!("{theirs}/linear_1/bias"));
    vec![
        TensorSpec::new(
            format!("{ours}.query.weight"),
            format!("{theirs}/linear_0/weight"),
            &[d, d],
        ),
        TensorSpec::new(format!("{ours}.query.bias"), format!("{theirs}/linear_0/bias"), &[d]),
        TensorSpec::fused(format!("{ours}.key.weight"), &w, &[d, d], 0, 2 * d),
        TensorSpec::fused(format!("{ours}.value.weight"), &w, &[d, d], d, 2 * d),
        TensorSpec::fused(format!("{ours}.value.bias"), &b, &[d], d, 2 * d),
        TensorSpec::new(format!("{ours}.out.weight"), format!("{theirs}/linear_2/weight"), &[d, d]),
        TensorSpec::new(format!("{ours}.out.bias"), format!("{theirs}/linear_2/bias"), &[d]),
        TensorSpec::new(format!("{ours}_ln.weight"), format!("{theirs}/layer_norm/gamma"), &[d]),
        TensorSpec::new(format!("{ours}_ln.bias"), format!("{theirs}/layer_norm/beta"), &[d]),
    ]
}

fn feed_forward(ours: &str, theirs: &str, d: usize) -> Vec<TensorSpec> {
    let ffn = format!("{theirs}/ffn");
    vec![
        TensorSpec::new(
            format!("{ours}.mlp.0.weight"),
            format!("{ffn}/linear_0/weight"),
            &[4 * d, d],
        ),
        TensorSpec::new(format!("{ours}.mlp.0.bias"), format!("{ffn}/linear_0/bias"), &[4 * d]),
        TensorSpec::new(
            format!("{ours}.mlp.2.weight"),
            format!("{ffn}/linear_1/weight"),
            &[d, 4 * d],
        ),
        TensorSpec::new(format!("{ours}.mlp.2.bias"), format!("{ffn}/linear_1/bias"), &[d]),
        TensorSpec::new(format!("{ours}.mlp_ln.weight"), format!("{ffn}/layer_norm/gamma"), &[d]),
        TensorSpec::new(format!("{ours}.mlp_ln.bias"), format!("{ffn}/layer_norm/beta"), &[d]),
    ]
}

/// A tensor's values from its source, the source's shape checked; a key's zero bias checked.
fn tensor(
    m: &Ct2Model,
    spec: &TensorSpec,
    warnings: &mut Vec<String>,
) -> Result<Tensor, ImportError> {
    let var = m.get(&spec.source)?;
    if var.shape != spec.source_shape {
        return Err(ImportError::Shape {
            name: spec.source.clone(),
            expected: spec.source_shape.clone(),
            got: var.shape.clone(),
        });
    }
    if spec.name.ends_with(".key.weight") {
        let bias = spec.source.replace("/weight", "/bias");
        if let Ok(b) = m.get(&bias) {
            let v = b.to_f32(None).map_err(|e| ImportError::format(format!("{bias}: {e}")))?;
            if v.get(spec.rows.0..spec.rows.1).is_some_and(|k| k.iter().any(|x| *x != 0.0)) {
                warnings.push(format!(
                    "{bias}: the key's bias is not zero; whisper's key has none, so it was left out"
                ));
            }
        }
    }
    let per_row: usize = spec.source_shape[1..].iter().product();
    let values = values(m, &spec.source, var, spec.rows.0 * per_row..spec.rows.1 * per_row)?;
    Ok(Tensor { name: spec.name.clone(), shape: spec.shape.clone(), values })
}

/// Elements `range` of a variable: f16 bits as they are, anything else as f32.
fn values(
    m: &Ct2Model,
    name: &str,
    var: &Variable,
    range: std::ops::Range<usize>,
) -> Result<Values, ImportError> {
    if var.dtype == DType::F16 {
        let bytes = &var.data[range.start * 2..range.end * 2];
        return Ok(Values::F16(
            bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect(),
        ));
    }
    let scale = m.get(&format!("{name}_scale")).ok();
    let all = var.to_f32(scale).map_err(|e| ImportError::format(format!("{name}: {e}")))?;
    Ok(Values::F32(all[range].to_vec()))
}
