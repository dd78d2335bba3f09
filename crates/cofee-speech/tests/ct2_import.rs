//! `cofee models import` on CTranslate2 Whisper models the tests make, one for each layout the
//! converter handles: float16, float32 and int8 sources; 80 and 128 mel bands; English-only,
//! multilingual and large-v3 vocabularies; decoders shallower than their encoders. The ggml file
//! is read back tensor by tensor against the source, and (with the `whisper` feature) loaded by
//! whisper.cpp itself.

use std::collections::BTreeMap;
use std::path::Path;

use cofee_speech::ct2::ggml::WeightType;
use cofee_speech::ct2::{ImportError, import, mel};

/// The sizes of a model to make.
#[derive(Clone, Copy)]
struct Shape {
    d: usize,
    heads: usize,
    enc_layers: usize,
    dec_layers: usize,
    n_mels: usize,
    n_vocab: usize,
    source: Source,
}

#[derive(Clone, Copy, PartialEq)]
enum Source {
    F16,
    F32,
    /// int8 weights with a float32 scale per row, float16 for the rest (`int8_float16`).
    Int8,
}

const AUDIO_CTX: usize = 1500;
const TEXT_CTX: usize = 448;

/// A variable as the test holds it: shape and f32 values (written in the source's type).
struct Var {
    shape: Vec<usize>,
    values: Vec<f32>,
    int: Option<i16>,
}

fn values(n: usize, seed: &mut u64) -> Vec<f32> {
    (0..n)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            ((*seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.2
        })
        .collect()
}

/// The variables of a CTranslate2 `WhisperSpec` of these sizes (names as CTranslate2 writes them).
fn variables(s: &Shape) -> BTreeMap<String, Var> {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut vars = BTreeMap::new();
    let mut add = |name: String, shape: Vec<usize>| {
        let n = shape.iter().product();
        let mut v = values(n, &mut seed);
        if name.ends_with("linear_0/bias") && name.contains("self_attention") {
            v[s.d..2 * s.d].iter_mut().for_each(|x| *x = 0.0); // the key's zero bias
        }
        if name.ends_with("attention/linear_1/bias") && !name.contains("self_attention") {
            v[..s.d].iter_mut().for_each(|x| *x = 0.0);
        }
        vars.insert(name, Var { shape, values: v, int: None });
    };
    let d = s.d;
    add("encoder/conv1/weight".into(), vec![d, s.n_mels, 3]);
    add("encoder/conv1/bias".into(), vec![d]);
    add("encoder/conv2/weight".into(), vec![d, d, 3]);
    add("encoder/conv2/bias".into(), vec![d]);
    add("encoder/position_encodings/encodings".into(), vec![AUDIO_CTX, d]);
    add("decoder/embeddings/weight".into(), vec![s.n_vocab, d]);
    add("decoder/position_encodings/encodings".into(), vec![TEXT_CTX, d]);
    for side in ["encoder", "decoder"] {
        add(format!("{side}/layer_norm/gamma"), vec![d]);
        add(format!("{side}/layer_norm/beta"), vec![d]);
        let layers = if side == "encoder" { s.enc_layers } else { s.dec_layers };
        for i in 0..layers {
            let l = format!("{side}/layer_{i}");
            let mut attention = vec![("self_attention", 3)];
            if side == "decoder" {
                attention.push(("attention", 0));
            }
            for (a, fused) in attention {
                add(format!("{l}/{a}/layer_norm/gamma"), vec![d]);
                add(format!("{l}/{a}/layer_norm/beta"), vec![d]);
                if fused == 3 {
                    add(format!("{l}/{a}/linear_0/weight"), vec![3 * d, d]);
                    add(format!("{l}/{a}/linear_0/bias"), vec![3 * d]);
                    add(format!("{l}/{a}/linear_1/weight"), vec![d, d]);
                    add(format!("{l}/{a}/linear_1/bias"), vec![d]);
                } else {
                    add(format!("{l}/{a}/linear_0/weight"), vec![d, d]);
                    add(format!("{l}/{a}/linear_0/bias"), vec![d]);
                    add(format!("{l}/{a}/linear_1/weight"), vec![2 * d, d]);
                    add(format!("{l}/{a}/linear_1/bias"), vec![2 * d]);
                    add(format!("{l}/{a}/linear_2/weight"), vec![d, d]);
                    add(format!("{l}/{a}/linear_2/bias"), vec![d]);
                }
            }
            add(format!("{l}/ffn/layer_norm/gamma"), vec![d]);
            add(format!("{l}/ffn/layer_norm/beta"), vec![d]);
            add(format!("{l}/ffn/linear_0/weight"), vec![4 * d, d]);
            add(format!("{l}/ffn/linear_0/bias"), vec![4 * d]);
            add(format!("{l}/ffn/linear_1/weight"), vec![d, 4 * d]);
            add(format!("{l}/ffn/linear_1/bias"), vec![d]);
        }
    }
    for (name, v) in [("encoder/num_heads", s.heads as i16), ("decoder/num_heads", s.heads as i16)]
    {
        vars.insert(name.into(), Var { shape: vec![], values: vec![], int: Some(v) });
    }
    vars
}

fn string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&((s.len() + 1) as u16).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
    out.push(0);
}

/// `model.bin` as CTranslate2 writes it (binary version 6), with the projection as an alias.
fn model_bin(s: &Shape, vars: &BTreeMap<String, Var>) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&6u32.to_le_bytes());
    string(&mut out, "WhisperSpec");
    out.extend_from_slice(&3u32.to_le_bytes());
    let quantised = |name: &str, v: &Var| {
        s.source == Source::Int8
            && v.shape.len() > 1
            && name.ends_with("weight")
            && !name.contains("position")
    };
    let mut records: Vec<(String, Vec<usize>, u8, Vec<u8>)> = Vec::new();
    for (name, v) in vars {
        if let Some(i) = v.int {
            records.push((name.clone(), vec![], 2, i.to_le_bytes().to_vec()));
            continue;
        }
        if quantised(name, v) {
            let rows = v.shape[0];
            let per = v.values.len() / rows;
            let mut q = Vec::new();
            let mut scales = Vec::new();
            for r in v.values.chunks(per) {
                let amax = r.iter().fold(0f32, |m, x| m.max(x.abs()));
                let scale = 127.0 / amax;
                scales.extend_from_slice(&scale.to_le_bytes());
                q.extend(r.iter().map(|x| (x * scale).round() as i8 as u8));
            }
            records.push((name.clone(), v.shape.clone(), 1, q));
            records.push((format!("{name}_scale"), vec![rows], 0, scales));
            continue;
        }
        let (dtype, data) = match s.source {
            Source::F32 => (0, v.values.iter().flat_map(|x| x.to_le_bytes()).collect()),
            _ => (
                4,
                v.values
                    .iter()
                    .flat_map(|x| half::f16::from_f32(*x).to_bits().to_le_bytes())
                    .collect(),
            ),
        };
        records.push((name.clone(), v.shape.clone(), dtype, data));
    }
    records.sort_by(|a, b| a.0.cmp(&b.0));
    out.extend_from_slice(&(records.len() as u32).to_le_bytes());
    for (name, shape, dtype, data) in &records {
        string(&mut out, name);
        out.push(shape.len() as u8);
        shape.iter().for_each(|d| out.extend_from_slice(&(*d as u32).to_le_bytes()));
        out.push(*dtype);
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
    }
    out.extend_from_slice(&1u32.to_le_bytes());
    string(&mut out, "decoder/projection/weight");
    string(&mut out, "decoder/embeddings/weight");
    out
}

fn eot(n_vocab: usize) -> usize {
    if n_vocab >= 51_865 { 50_257 } else { 50_256 }
}

/// A model directory: `model.bin`, `config.json` and the vocabulary (`.txt` or `.json`).
fn model_dir(dir: &Path, s: &Shape, json_vocabulary: bool) -> BTreeMap<String, Var> {
    let vars = variables(s);
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("model.bin"), model_bin(s, &vars)).unwrap();
    std::fs::write(dir.join("config.json"), r#"{"alignment_heads": [[1, 0], [1, 1]], "lang_ids": [], "suppress_ids": [], "suppress_ids_begin": []}"#).unwrap();
    let mut tokens: Vec<String> =
        (0..eot(s.n_vocab)).map(|i| if i == 0 { "Ġ".into() } else { format!("Ġw{i}") }).collect();
    tokens.push("<|endoftext|>".into());
    while tokens.len() < s.n_vocab {
        tokens.push(format!("<|{}|>", tokens.len()));
    }
    if json_vocabulary {
        std::fs::write(dir.join("vocabulary.json"), serde_json::to_string(&tokens).unwrap())
            .unwrap();
    } else {
        std::fs::write(dir.join("vocabulary.txt"), tokens.join("\n") + "\n").unwrap();
    }
    vars
}

/// A ggml file read back: header fields, filters, tokens, tensors (type, ne, raw data).
struct Ggml {
    hparams: Vec<i32>,
    filters: Vec<f32>,
    tokens: Vec<Vec<u8>>,
    tensors: BTreeMap<String, (i32, Vec<i32>, Vec<u8>)>,
}

fn read_ggml(path: &Path) -> Ggml {
    let b = std::fs::read(path).unwrap();
    let mut at = 0;
    let i32s = |n: usize, at: &mut usize| -> Vec<i32> {
        let v = b[*at..*at + 4 * n]
            .chunks(4)
            .map(|c| i32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        *at += 4 * n;
        v
    };
    assert_eq!(i32s(1, &mut at)[0] as u32, 0x6767_6d6c, "magic");
    let hparams = i32s(11, &mut at);
    let [n_mel, n_fft] = i32s(2, &mut at)[..] else { unreachable!() };
    let filters: Vec<f32> =
        i32s((n_mel * n_fft) as usize, &mut at).iter().map(|x| f32::from_bits(*x as u32)).collect();
    let count = i32s(1, &mut at)[0];
    let mut tokens = Vec::new();
    for _ in 0..count {
        let len = i32s(1, &mut at)[0] as usize;
        tokens.push(b[at..at + len].to_vec());
        at += len;
    }
    let mut tensors = BTreeMap::new();
    while at < b.len() {
        let [n_dims, name_len, ty] = i32s(3, &mut at)[..] else { unreachable!() };
        let ne = i32s(n_dims as usize, &mut at);
        let name = String::from_utf8(b[at..at + name_len as usize].to_vec()).unwrap();
        at += name_len as usize;
        let n: usize = ne.iter().map(|x| *x as usize).product();
        let bytes = match ty {
            0 => n * 4,
            1 => n * 2,
            8 => n / 32 * 34,
            6 => n / 32 * 22,
            t => panic!("type {t}"),
        };
        tensors.insert(name, (ty, ne, b[at..at + bytes].to_vec()));
        at += bytes;
    }
    Ggml { hparams, filters, tokens, tensors }
}

fn f16s(b: &[u8]) -> Vec<f32> {
    b.chunks(2).map(|c| half::f16::from_bits(u16::from_le_bytes([c[0], c[1]])).to_f32()).collect()
}

fn f32s(b: &[u8]) -> Vec<f32> {
    b.chunks(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect()
}

fn close(a: &[f32], b: &[f32], tolerance: f32, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: length");
    let worst = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
    assert!(worst <= tolerance, "{what}: off by {worst}");
}

/// Imports a model of shape `s` and checks the file against its source.
fn imports_right(s: Shape, weights: WeightType, json_vocabulary: bool) {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("model");
    let vars = model_dir(&src, &s, json_vocabulary);
    let store = work.path().join("store");
    let imported = import(&src, &store, Some("test"), weights).unwrap();
    assert_eq!(imported.path, store.join("ggml-test.bin"));
    assert_eq!(imported.alignment_heads, vec![(1, 0), (1, 1)]);
    // …and beside the model, where the engine finds them for DTW word times.
    let heads: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(store.join("ggml-test.heads.json")).unwrap())
            .unwrap();
    assert_eq!(heads, serde_json::json!({"alignment_heads": [[1, 0], [1, 1]]}));
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let g = read_ggml(&imported.path);
    let d = s.d;
    let header_ftype = match weights {
        WeightType::F16 => 1,
        WeightType::Q8_0 => 2007,
        WeightType::Q5_0 => 2008,
    };
    assert_eq!(
        g.hparams,
        [
            s.n_vocab,
            AUDIO_CTX,
            d,
            s.heads,
            s.enc_layers,
            TEXT_CTX,
            d,
            s.heads,
            s.dec_layers,
            s.n_mels,
            0
        ]
        .iter()
        .map(|x| *x as i32)
        .take(10)
        .chain([header_ftype])
        .collect::<Vec<_>>()
    );
    assert_eq!(g.filters, mel::filters(s.n_mels), "the mel filter bank");
    assert_eq!(g.tokens.len(), eot(s.n_vocab), "the text tokens");
    assert_eq!(g.tokens[0], b" ");
    assert_eq!(g.tokens[7], b" w7");
    assert_eq!(g.tensors.len(), 7 + 15 * s.enc_layers + 4 + 24 * s.dec_layers);
    assert_eq!(imported.tensors, g.tensors.len());

    // The tolerance of the source's own type (f16 rounding; int8 steps of a row's amax/127 ≈ 0.1/127).
    let tol = match s.source {
        Source::F32 => 1e-3,
        Source::F16 => 0.0,
        Source::Int8 => 1e-3,
    };
    let rows = |name: &str, from: usize, to: usize| {
        let v = &vars[name];
        let per: usize = v.shape[1..].iter().product::<usize>().max(1);
        v.values[from * per..to * per].to_vec()
    };
    let f16_source = |x: Vec<f32>| {
        if s.source == Source::F32 {
            x
        } else {
            x.iter().map(|v| half::f16::from_f32(*v).to_f32()).collect()
        }
    };
    // Vectors and positional embeddings: f32, the source's values.
    let (ty, ne, data) = &g.tensors["encoder.conv1.bias"];
    assert_eq!((*ty, ne.clone()), (0, vec![1, d as i32]), "a convolution bias is [d, 1]");
    close(&f32s(data), &f16_source(rows("encoder/conv1/bias", 0, d)), 0.0, "conv1 bias");
    let (ty, ne, _) = &g.tensors["decoder.positional_embedding"];
    assert_eq!((*ty, ne.clone()), (0, vec![d as i32, TEXT_CTX as i32]));
    // Convolution kernels: f16 in every file.
    let (ty, ne, data) = &g.tensors["encoder.conv1.weight"];
    assert_eq!((*ty, ne.clone()), (1, vec![3, s.n_mels as i32, d as i32]));
    if s.source != Source::Int8 {
        close(&f16s(data), &f16_source(rows("encoder/conv1/weight", 0, d)), tol, "conv1");
    }
    // Fused projections split by rows; the key has no bias.
    let last = s.dec_layers - 1;
    let checks = [
        (
            format!("decoder.blocks.{last}.attn.key.weight"),
            format!("decoder/layer_{last}/self_attention/linear_0/weight"),
            d,
            2 * d,
        ),
        (
            format!("decoder.blocks.{last}.attn.value.weight"),
            format!("decoder/layer_{last}/self_attention/linear_0/weight"),
            2 * d,
            3 * d,
        ),
        (
            format!("decoder.blocks.{last}.cross_attn.key.weight"),
            format!("decoder/layer_{last}/attention/linear_1/weight"),
            0,
            d,
        ),
        (
            format!("decoder.blocks.{last}.cross_attn.value.weight"),
            format!("decoder/layer_{last}/attention/linear_1/weight"),
            d,
            2 * d,
        ),
        (
            "encoder.blocks.0.attn.query.weight".to_string(),
            "encoder/layer_0/self_attention/linear_0/weight".to_string(),
            0,
            d,
        ),
    ];
    for (ours, theirs, from, to) in &checks {
        let (ty, ne, data) = &g.tensors[ours];
        assert_eq!(ne, &vec![d as i32, d as i32], "{ours}");
        let want = rows(theirs, *from, *to);
        match weights {
            WeightType::F16 => {
                assert_eq!(*ty, 1, "{ours}");
                close(&f16s(data), &f16_source(want), tol, ours);
            }
            WeightType::Q8_0 => assert_eq!(*ty, 8, "{ours}"),
            WeightType::Q5_0 => assert_eq!(*ty, 6, "{ours}"),
        }
    }
    let (_, _, vbias) = &g.tensors[&format!("decoder.blocks.{last}.cross_attn.value.bias")];
    close(
        &f32s(vbias),
        &f16_source(rows(&format!("decoder/layer_{last}/attention/linear_1/bias"), d, 2 * d)),
        0.0,
        "cross value bias",
    );
    assert!(!g.tensors.contains_key("encoder.blocks.0.attn.key.bias"));
    assert!(g.tensors.keys().all(|n| !n.contains("projection")));
    let (ty, ne, _) = &g.tensors["decoder.token_embedding.weight"];
    assert_eq!(ne, &vec![d as i32, s.n_vocab as i32]);
    assert_eq!(
        *ty,
        match weights {
            WeightType::F16 => 1,
            WeightType::Q8_0 => 8,
            WeightType::Q5_0 => 6,
        }
    );
    for (name, (ty, ne, _)) in &g.tensors {
        if ne.len() == 1 {
            assert_eq!(*ty, 0, "{name}: vectors are f32");
        }
    }
    let mut files: Vec<_> = std::fs::read_dir(&store)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["ggml-test.bin", "ggml-test.heads.json"],
        "the model, its heads, no part file"
    );
    let again = import(&src, &store, Some("test"), weights).unwrap_err();
    assert!(matches!(again, ImportError::Exists(_)), "an installed model is not replaced: {again}");

    #[cfg(feature = "whisper")]
    cofee_speech::whisper::Whisper::load(&imported.path)
        .expect("whisper.cpp loads the imported model");
}

const BASE_LIKE: Shape = Shape {
    d: 64,
    heads: 2,
    enc_layers: 2,
    dec_layers: 2,
    n_mels: 80,
    n_vocab: 51_865,
    source: Source::F16,
};

#[test]
fn a_multilingual_float16_model_becomes_f16_ggml() {
    imports_right(BASE_LIKE, WeightType::F16, false);
}

#[test]
fn an_english_only_float32_model_with_a_json_vocabulary() {
    imports_right(
        Shape { n_vocab: 51_864, source: Source::F32, ..BASE_LIKE },
        WeightType::F16,
        true,
    );
}

#[test]
fn a_large_v3_layout_int8_model_quantised_to_q8_0() {
    imports_right(
        Shape { n_mels: 128, n_vocab: 51_866, source: Source::Int8, ..BASE_LIKE },
        WeightType::Q8_0,
        true,
    );
}

#[test]
fn a_two_layer_decoder_under_a_deeper_encoder_quantised_to_q5_0() {
    imports_right(
        Shape { enc_layers: 4, dec_layers: 2, d: 96, heads: 3, ..BASE_LIKE },
        WeightType::Q5_0,
        false,
    );
}

#[test]
fn broken_models_are_refused_and_leave_nothing_behind() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("model");
    let store = work.path().join("store");
    model_dir(&src, &BASE_LIKE, false);
    let bin = std::fs::read(src.join("model.bin")).unwrap();

    std::fs::write(src.join("model.bin"), &bin[..bin.len() / 2]).unwrap();
    let e = import(&src, &store, Some("x"), WeightType::F16).unwrap_err();
    assert!(matches!(e, ImportError::Format(_)) && e.to_string().contains("truncated"), "{e}");

    let mut other = bin.clone();
    other[0] = 9; // binary version 9
    std::fs::write(src.join("model.bin"), &other).unwrap();
    let e = import(&src, &store, Some("x"), WeightType::F16).unwrap_err();
    assert!(e.to_string().contains("binary version 9"), "{e}");

    std::fs::write(src.join("model.bin"), &bin).unwrap();
    let vocab = std::fs::read_to_string(src.join("vocabulary.txt")).unwrap();
    std::fs::write(
        src.join("vocabulary.txt"),
        vocab.lines().skip(1).collect::<Vec<_>>().join("\n"),
    )
    .unwrap();
    let e = import(&src, &store, Some("x"), WeightType::F16).unwrap_err();
    assert!(matches!(e, ImportError::Vocabulary(_)), "{e}");
    std::fs::write(src.join("vocabulary.txt"), &vocab).unwrap();

    // A model whose layer lacks a tensor.
    let mut vars = variables(&BASE_LIKE);
    vars.remove("decoder/layer_1/attention/linear_2/weight");
    std::fs::write(src.join("model.bin"), model_bin(&BASE_LIKE, &vars)).unwrap();
    let e = import(&src, &store, Some("x"), WeightType::F16).unwrap_err();
    assert!(matches!(&e, ImportError::Missing(n) if n.contains("linear_2")), "{e}");

    // A tensor of the wrong shape.
    let mut vars = variables(&BASE_LIKE);
    vars.get_mut("encoder/layer_1/ffn/linear_1/weight").unwrap().shape = vec![64 * 4, 64];
    std::fs::write(src.join("model.bin"), model_bin(&BASE_LIKE, &vars)).unwrap();
    let e = import(&src, &store, Some("x"), WeightType::F16).unwrap_err();
    assert!(matches!(e, ImportError::Shape { .. }), "{e}");

    assert!(
        import(&src, &store, Some("../x"), WeightType::F16).is_err(),
        "a name that leaves the store"
    );
    assert!(!store.exists() || std::fs::read_dir(&store).unwrap().count() == 0, "nothing written");
}
