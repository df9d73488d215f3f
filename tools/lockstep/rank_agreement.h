// Start-up checks of a run on several processes: every rank must train the same recipe on
// the same data bytes with the same build, or the ranks would exchange partials of different
// computations. What a rank may choose for itself (device, threads, data directory, host) is
// recorded in the manifest instead.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "nn/communicator.h"

namespace lockstep::cli {

// Gathers every rank's facts (a JSON object, nested allowed) and throws Error on every rank
// when they differ: "ranks disagree on recipe.seed: rank 0 has 1, rank 2 has 2", naming the
// first differing field in rank 0's order and the first rank that differs.
void check_ranks_agree(nn::Communicator& comm, const nlohmann::json& facts);

// Every rank's {rank, host, device, threads} (and "gpu": its model, on cuda), in rank order.
nlohmann::json describe_ranks(nn::Communicator& comm, const std::string& device);

}  // namespace lockstep::cli
