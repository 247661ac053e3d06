// Empty on purpose: the object library segmaker_torch_pch exists to build the one precompiled
// <torch/torch.h> that every target reuses (cmake/segmaker_sources.cmake).
