"""quantsr training: data, the differentiable frame pipeline, the networks, QAT, export."""
