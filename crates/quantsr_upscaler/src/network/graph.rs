//! The U-Net's dataflow (training/NETWORK.md "Architecture", `run_graph` in training/model.py):
//! which tensors each layer reads, at which level, and where its output lives.

use quantsr_model::Network;

/// The activation tensors between layers, in the order they are produced (`f0` only in a
/// network with the full-resolution layer). The head writes the parameter textures instead of a
/// tensor.
pub(crate) const TENSORS: [&str; 11] = ["input", "d1", "e1", "d2", "e2a", "e2b", "d3", "e3", "u2", "u1", "f0"];

/// One input of a layer.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    /// Index into [`TENSORS`].
    pub tensor: usize,
    /// Level of the tensor read (0 render resolution, 1 ½, 2 ¼, 3 ⅛).
    pub level: u32,
    /// Channels of the tensor (a multiple of 4).
    pub channels: usize,
    /// Read through nearest ×2 upsampling (the coarser branch of a concatenation).
    pub upsample: bool,
}

/// One layer of the graph.
#[derive(Debug, Clone)]
pub(crate) struct LayerNode {
    /// Index into the network's layers ([`Network::layers`], `quantsr_model::LAYER_NAMES` order).
    pub layer: usize,
    /// Its inputs, concatenated in this order.
    pub sources: Vec<Source>,
    /// Level of its output.
    pub level: u32,
    /// Index into [`TENSORS`] of its output; `None` for the head.
    pub output: Option<usize>,
}

/// A layer's wiring: its name, the tensors it reads (and whether upsampled), its output level.
type Wire = (&'static str, &'static [(&'static str, bool)], u32);

/// Every layer's wiring, as `run_graph` connects them; the head's last source is `f0`, read only
/// where the network has it.
const WIRING: [Wire; 11] = [
    ("d1", &[("input", false)], 1),
    ("e1", &[("d1", false)], 1),
    ("d2", &[("e1", false)], 2),
    ("e2a", &[("d2", false)], 2),
    ("e2b", &[("e2a", false)], 2),
    ("d3", &[("e2b", false)], 3),
    ("e3", &[("d3", false)], 3),
    ("u2", &[("e3", true), ("e2b", false)], 2),
    ("u1", &[("u2", true), ("e1", false)], 1),
    ("f0", &[("input", false)], 0),
    ("head", &[("u1", true), ("input", false), ("f0", false)], 0),
];

fn tensor_index(name: &str) -> usize {
    TENSORS.iter().position(|t| *t == name).expect("the wiring names only known tensors")
}

/// The graph of `net`: levels and channel counts of every tensor each layer reads.
pub(crate) fn layer_nodes(net: &Network) -> Vec<LayerNode> {
    let mut level = [0u32; TENSORS.len()];
    let mut channels = [0usize; TENSORS.len()];
    channels[0] = quantsr_model::INPUT_CHANNELS;
    let has = |name: &str| net.layers.iter().any(|l| l.spec.name == name);
    WIRING
        .iter()
        .filter(|(name, ..)| has(name))
        .enumerate()
        .map(|(layer, (name, reads, out_level))| {
            debug_assert_eq!(net.layers[layer].spec.name, *name, "the network's layers run in the wiring's order");
            let sources = reads
                .iter()
                .filter(|(t, _)| *t == "input" || has(t))
                .map(|(t, upsample)| {
                    let i = tensor_index(t);
                    Source { tensor: i, level: level[i], channels: channels[i], upsample: *upsample }
                })
                .collect();
            let output = (*name != "head").then(|| tensor_index(name));
            if let Some(o) = output {
                level[o] = *out_level;
                channels[o] = net.layers[layer].spec.cout;
            }
            LayerNode { layer, sources, level: *out_level, output }
        })
        .collect()
}

/// Width and height of a level for a render size (as `level_size` in network/common.wgsl).
pub(crate) fn level_size(render: [u32; 2], level: u32) -> [u32; 2] {
    render.map(|n| {
        let mut s = n;
        if level >= 1 {
            s /= 2;
        }
        if level >= 2 {
            s /= 2;
        }
        if level >= 3 {
            s = s.div_ceil(2);
        }
        s
    })
}
