#pragma once
/// @file
/// Optimal one-to-one assignment of rows (tracks) to columns (detections) by cost: the
/// Hungarian method in its shortest-augmenting-path form (Jonker-Volgenant), O(n^2 m) for an
/// n x m matrix with n <= m. One solver for the whole camera domain: cctv.track's association
/// (the "leave it unmatched" form that lap.lapjv(extend_cost=True, cost_limit=...) gives
/// ByteTrack) and the tracking metrics' matching (scipy's linear_sum_assignment, which
/// TrackEval calls). Link OpenInspect::cctv.

#include <cstddef>
#include <limits>
#include <vector>

namespace oi::cctv {

/// A cost no assignment may use (a pair that failed a gate).
inline constexpr double kInfeasibleCost = std::numeric_limits<double>::infinity();

/// A dense rows x cols matrix of costs, row-major. Entries are finite or kInfeasibleCost
/// (NaN and -infinity are refused with std::invalid_argument).
class CostMatrix {
 public:
  CostMatrix() = default;
  /// A rows x cols matrix filled with `fill`.
  CostMatrix(std::size_t rows, std::size_t cols, double fill = 0.0)
      : rows_(rows), cols_(cols), values_(rows * cols, fill) {}
  /// A matrix from nested rows (all the same length); for tests and small literals.
  static CostMatrix from_rows(const std::vector<std::vector<double>>& rows);

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  bool empty() const { return rows_ == 0 || cols_ == 0; }
  double& at(std::size_t row, std::size_t col) { return values_[row * cols_ + col]; }
  double at(std::size_t row, std::size_t col) const { return values_[row * cols_ + col]; }

 private:
  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
  std::vector<double> values_;
};

/// The result of an assignment: for each row its column (-1: unassigned) and the reverse.
struct Assignment {
  std::vector<int> row_to_col;  ///< size rows(); -1 where the row has no column
  std::vector<int> col_to_row;  ///< size cols(); -1 where the column has no row
  double total_cost = 0.0;      ///< sum of the costs of the assigned pairs
  /// False when no assignment of min(rows, cols) pairs avoids every infeasible entry
  /// (solve_assignment() only; then nothing is assigned).
  bool feasible = true;

  /// Number of assigned pairs.
  std::size_t size() const;
};

/// The minimum-cost assignment of min(rows, cols) pairs (every row or column of the smaller
/// side is assigned), as scipy's linear_sum_assignment. When no such
/// assignment avoids the infeasible entries, returns `feasible == false` and no pairs.
/// Ties are broken deterministically (the same matrix gives the same answer).
Assignment solve_assignment(const CostMatrix& cost);

/// The assignment a tracker wants: any number of pairs, each with cost <= `max_cost`,
/// minimising the sum of the assigned costs plus `max_cost` / 2 for every row and every column
/// left unassigned (lap.lapjv's extend_cost with cost_limit). A pair is assigned only when it
/// beats leaving both its row and column alone (a tie at exactly max_cost may go either way).
/// The admissible pairs' connected components are solved one by one, so a frame of persons
/// far apart costs little. `max_cost` must be finite and >= 0.
Assignment solve_assignment_with_limit(const CostMatrix& cost, double max_cost);

}  // namespace oi::cctv
