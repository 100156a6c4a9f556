//! Reading safetensors files with errors that name the file: the shared part of the weight-file
//! loader ([`crate::weights`]) and the fixture reader ([`crate::fixture`]).

use std::collections::BTreeMap;
use std::path::Path;

use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};

use crate::error::ModelError;

/// A parsed safetensors buffer, its metadata, and the name used in error messages.
pub(crate) struct TensorFile<'data> {
    pub(crate) source: &'data str,
    pub(crate) tensors: SafeTensors<'data>,
    pub(crate) metadata: BTreeMap<String, String>,
}

/// The whole file at `path`.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, ModelError> {
    std::fs::read(path).map_err(|source| ModelError::Io { file: path.display().to_string(), source })
}

impl<'data> TensorFile<'data> {
    /// Parses the header of `bytes` (safetensors checks every offset against the buffer, with
    /// checked arithmetic, so a truncated or corrupt file is an error, never a panic).
    pub(crate) fn parse(bytes: &'data [u8], source: &'data str) -> Result<Self, ModelError> {
        let wrap = |e| ModelError::Safetensors { file: source.to_owned(), source: e };
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(wrap)?;
        let metadata = header.metadata().as_ref().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
        let tensors = SafeTensors::deserialize(bytes).map_err(wrap)?;
        Ok(Self { source, tensors, metadata: metadata.unwrap_or_default() })
    }

    /// Fails unless metadata `format` is `expected`.
    pub(crate) fn expect_format(&self, expected: &'static str) -> Result<(), ModelError> {
        match self.metadata.get("format") {
            Some(found) if found == expected => Ok(()),
            found => Err(ModelError::Format { file: self.source.to_owned(), found: found.cloned(), expected }),
        }
    }

    /// Fails unless metadata `version` is one of `supported`; returns it.
    pub(crate) fn expect_version(&self, supported: &'static [&'static str]) -> Result<String, ModelError> {
        match self.metadata.get("version") {
            Some(found) if supported.contains(&found.as_str()) => Ok(found.clone()),
            found => Err(ModelError::Version { file: self.source.to_owned(), found: found.cloned(), supported }),
        }
    }

    /// A required metadata value.
    pub(crate) fn required_metadata(&self, key: &'static str) -> Result<&str, ModelError> {
        self.metadata
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| ModelError::MissingMetadata { file: self.source.to_owned(), key })
    }

    /// The tensor `name` if it exists and has element type `dtype`.
    pub(crate) fn tensor(&self, name: &str, dtype: Dtype) -> Result<TensorView<'data>, ModelError> {
        let view = self
            .tensors
            .tensor(name)
            .map_err(|_| ModelError::MissingTensor { file: self.source.to_owned(), tensor: name.to_owned() })?;
        if view.dtype() != dtype {
            return Err(ModelError::WrongDtype {
                file: self.source.to_owned(),
                tensor: name.to_owned(),
                expected: dtype_name(dtype),
                found: view.dtype().to_string(),
            });
        }
        Ok(view)
    }

    /// The tensor `name` if it exists with element type `dtype` and shape `shape`.
    pub(crate) fn tensor_shaped(
        &self,
        name: &str,
        dtype: Dtype,
        shape: &[usize],
    ) -> Result<TensorView<'data>, ModelError> {
        let view = self.tensor(name, dtype)?;
        if view.shape() != shape {
            return Err(ModelError::WrongShape {
                file: self.source.to_owned(),
                tensor: name.to_owned(),
                expected: shape.to_vec(),
                found: view.shape().to_vec(),
            });
        }
        Ok(view)
    }

    /// An f32 tensor of shape `shape`, as values.
    pub(crate) fn f32s(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, ModelError> {
        Ok(f32_values(&self.tensor_shaped(name, Dtype::F32, shape)?))
    }

    /// An i8 tensor of shape `shape`, as values.
    pub(crate) fn i8s(&self, name: &str, shape: &[usize]) -> Result<Vec<i8>, ModelError> {
        Ok(i8_values(&self.tensor_shaped(name, Dtype::I8, shape)?))
    }
}

/// The little-endian f32 elements of an `F32` view (its data need not be 4-byte aligned).
pub(crate) fn f32_values(view: &TensorView<'_>) -> Vec<f32> {
    view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// The elements of an `I8` view.
pub(crate) fn i8_values(view: &TensorView<'_>) -> Vec<i8> {
    view.data().iter().map(|&b| b as i8).collect()
}

/// The safetensors name of the dtypes this crate reads.
fn dtype_name(dtype: Dtype) -> &'static str {
    match dtype {
        Dtype::F32 => "F32",
        Dtype::I8 => "I8",
        _ => "another dtype",
    }
}
