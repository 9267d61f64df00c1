#include "tutorials/quick_shapes.hpp"

#include <map>

namespace kpg {

const std::vector<std::string>& quick_shapes(std::string_view op) {
  static const std::map<std::string, std::vector<std::string>, std::less<>> shapes = {
      // Short odd rows (a warp per row), mid rows (a block per row), long rows split over
      // several blocks. 4096x4096 is also the memory lesson's softmax.
      {"softmax", {"M=4096,N=781,dtype=f32", "M=4096,N=4096,dtype=f32", "M=256,N=131072,dtype=f32"}},
      // BERT-base (a warp per row; the production-impact row) and LLaMA-7B (a block per
      // row; the memory lesson's), for both ops of the lesson.
      {"layernorm", {"M=16384,N=768,dtype=f16", "M=4096,N=4096,dtype=f16"}},
      {"rmsnorm", {"M=16384,N=768,dtype=f16", "M=4096,N=4096,dtype=f16"}},
      // Short and long sequences at D=64 (N=4096 is the memory lesson's), causal at D=128 in
      // f16 and bf16; standard attention fits on the card at each.
      {"attention",
       {"B=4,H=32,N=1024,D=64,CAUSAL=0,dtype=f16", "B=4,H=32,N=4096,D=64,CAUSAL=0,dtype=f16",
        "B=4,H=16,N=4096,D=128,CAUSAL=1,dtype=f16", "B=4,H=16,N=4096,D=128,CAUSAL=1,dtype=bf16"}},
  };
  static const std::vector<std::string> none;
  const auto it = shapes.find(op);
  return it == shapes.end() ? none : it->second;
}

}  // namespace kpg
