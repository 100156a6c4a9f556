//! The model fixture (`assets/models/fixture.safetensors`, training/README.md "Model fixture"):
//! inputs and the outputs training's torch graph computed for them with the weight file as
//! loaded back. The CPU reference's tests and the GPU parity tests read it through
//! [`ModelFixture`] to check every rung against torch.
//!
//! Tensors (CHW, no batch dimension): `input` f32 `[16, 12, 20]`, `input_odd` f32
//! `[16, 11, 19]`, and for `N` in {full, lite}, `X` in {input, input_odd}: `N.X.f32.raw`,
//! `N.X.f32.params`, `N.X.f16.raw`, `N.X.int8.raw`, `N.X.int8.params` (f32) and `N.X.int8.q.L`
//! (i8; `L` = `input` and every layer `d1` … `head`).

use std::collections::BTreeMap;
use std::path::Path;

use safetensors::Dtype;

use crate::error::ModelError;
use crate::tensor::Tensor;
use crate::tensor_file::{self, TensorFile};

/// The metadata `format` of a model fixture.
pub const FIXTURE_FORMAT: &str = "quantsr-model-fixture";

/// The fixture's inputs: `input` has even sides, `input_odd` odd ones (the 2×2 downsamples drop
/// a row and column, the upsampling repeats one).
pub const FIXTURE_INPUTS: [&str; 2] = ["input", "input_odd"];

/// A loaded model fixture: its metadata and every tensor, owned.
#[derive(Debug, Clone)]
pub struct ModelFixture {
    source: String,
    metadata: BTreeMap<String, String>,
    f32s: BTreeMap<String, Tensor>,
    i8s: BTreeMap<String, Tensor<i8>>,
}

impl ModelFixture {
    /// Reads the fixture at `path`; errors name the path.
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let bytes = tensor_file::read(path)?;
        Self::from_bytes(&bytes, &path.display().to_string())
    }

    /// Reads a fixture held in memory; `source` names it in error messages. Checks the format
    /// metadata and that every f32 and i8 tensor is CHW (3 dimensions); other dtypes are
    /// ignored.
    pub fn from_bytes(bytes: &[u8], source: &str) -> Result<Self, ModelError> {
        let file = TensorFile::parse(bytes, source)?;
        file.expect_format(FIXTURE_FORMAT)?;
        let (mut f32s, mut i8s) = (BTreeMap::new(), BTreeMap::new());
        for (name, view) in file.tensors.tensors() {
            let &[channels, height, width] = view.shape() else {
                if matches!(view.dtype(), Dtype::F32 | Dtype::I8) {
                    return Err(ModelError::WrongRank {
                        file: source.to_owned(),
                        tensor: name,
                        expected_rank: 3,
                        found: view.shape().to_vec(),
                    });
                }
                continue;
            };
            match view.dtype() {
                Dtype::F32 => {
                    f32s.insert(name, Tensor { channels, height, width, data: tensor_file::f32_values(&view) });
                }
                Dtype::I8 => {
                    i8s.insert(name, Tensor { channels, height, width, data: tensor_file::i8_values(&view) });
                }
                _ => {}
            }
        }
        Ok(Self { source: source.to_owned(), metadata: file.metadata, f32s, i8s })
    }

    /// A metadata value (`weights`: the weight file's name, `weights_sha256`: its SHA-256 in
    /// hex, `format`, `version`, `layout`).
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).map(String::as_str)
    }

    /// The f32 tensor `name` (an input, or an expected output).
    pub fn tensor_f32(&self, name: &str) -> Result<Tensor, ModelError> {
        self.f32s.get(name).cloned().ok_or_else(|| self.missing(name, "F32"))
    }

    /// The i8 tensor `name` (an expected int8 activation, `N.X.int8.q.L`).
    pub fn tensor_i8(&self, name: &str) -> Result<Tensor<i8>, ModelError> {
        self.i8s.get(name).cloned().ok_or_else(|| self.missing(name, "I8"))
    }

    /// The names of all f32 and i8 tensors, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.f32s.keys().chain(self.i8s.keys()).map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    fn missing(&self, name: &str, expected: &'static str) -> ModelError {
        let other = if expected == "F32" { self.i8s.contains_key(name) } else { self.f32s.contains_key(name) };
        if other {
            let found = if expected == "F32" { "I8" } else { "F32" };
            ModelError::WrongDtype {
                file: self.source.clone(),
                tensor: name.to_owned(),
                expected,
                found: found.to_owned(),
            }
        } else {
            ModelError::MissingTensor { file: self.source.clone(), tensor: name.to_owned() }
        }
    }
}
