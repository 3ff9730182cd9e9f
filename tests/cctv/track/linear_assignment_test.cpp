// The assignment solver on hand-made matrices (square, rectangular, infeasible entries, the
// cost limit) and against brute force on random ones.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <random>

#include "oi/cctv/assignment.hpp"

namespace oi::cctv {
namespace {

constexpr double kInf = kInfeasibleCost;

// The best total over every injective map of the smaller side into the larger (brute force).
double brute_force_best(const CostMatrix& c, bool& feasible) {
  const bool wide = c.rows() <= c.cols();
  const std::size_t n = wide ? c.rows() : c.cols(), m = wide ? c.cols() : c.rows();
  std::vector<std::size_t> pick(m);
  std::iota(pick.begin(), pick.end(), 0);
  double best = kInf;
  do {
    double total = 0.0;
    for (std::size_t i = 0; i < n; ++i) total += wide ? c.at(i, pick[i]) : c.at(pick[i], i);
    best = std::min(best, total);
  } while (std::next_permutation(pick.begin(), pick.end()));
  feasible = std::isfinite(best);
  return best;
}

void expect_consistent(const Assignment& a, const CostMatrix& c) {
  ASSERT_EQ(a.row_to_col.size(), c.rows());
  ASSERT_EQ(a.col_to_row.size(), c.cols());
  double total = 0.0;
  for (std::size_t i = 0; i < c.rows(); ++i) {
    const int j = a.row_to_col[i];
    if (j < 0) continue;
    EXPECT_EQ(a.col_to_row[static_cast<std::size_t>(j)], static_cast<int>(i));
    total += c.at(i, static_cast<std::size_t>(j));
  }
  EXPECT_NEAR(a.total_cost, total, 1e-9);
}

TEST(CctvTrack, HungarianSquareHandMade) {
  // Greedy (row 0 takes its cheapest column 1) gives 1 + 2 + 2 = 5 as well, but row 1 must
  // then take column 0; the optimum is unique.
  const CostMatrix c = CostMatrix::from_rows({{4, 1, 3}, {2, 0, 5}, {3, 2, 2}});
  const Assignment a = solve_assignment(c);
  EXPECT_TRUE(a.feasible);
  EXPECT_EQ(a.row_to_col, (std::vector<int>{1, 0, 2}));
  EXPECT_DOUBLE_EQ(a.total_cost, 5.0);
  expect_consistent(a, c);
  // Greedy fails here: row 0's cheapest (column 0, cost 1) forces row 1 onto 100.
  const CostMatrix trap = CostMatrix::from_rows({{1, 2}, {1, 100}});
  EXPECT_EQ(solve_assignment(trap).row_to_col, (std::vector<int>{1, 0}));
  EXPECT_DOUBLE_EQ(solve_assignment(trap).total_cost, 3.0);
}

TEST(CctvTrack, HungarianRectangular) {
  // Two rows, four columns: every row assigned, two columns left.
  const CostMatrix wide = CostMatrix::from_rows({{9, 2, 7, 8}, {6, 4, 3, 7}});
  const Assignment a = solve_assignment(wide);
  EXPECT_EQ(a.row_to_col, (std::vector<int>{1, 2}));
  EXPECT_EQ(a.col_to_row, (std::vector<int>{-1, 0, 1, -1}));
  EXPECT_DOUBLE_EQ(a.total_cost, 5.0);
  // The transpose: every column assigned, two rows left.
  const CostMatrix tall = CostMatrix::from_rows({{9, 6}, {2, 4}, {7, 3}, {8, 7}});
  const Assignment t = solve_assignment(tall);
  EXPECT_EQ(t.row_to_col, (std::vector<int>{-1, 0, 1, -1}));
  EXPECT_DOUBLE_EQ(t.total_cost, 5.0);
  EXPECT_EQ(t.size(), 2u);
  // Empty sides.
  EXPECT_EQ(solve_assignment(CostMatrix(0, 3)).col_to_row, (std::vector<int>{-1, -1, -1}));
  EXPECT_EQ(solve_assignment(CostMatrix(2, 0)).row_to_col, (std::vector<int>{-1, -1}));
}

TEST(CctvTrack, HungarianInfeasibleEntries) {
  // Infeasible entries steer the assignment...
  const CostMatrix steer = CostMatrix::from_rows({{kInf, 5}, {1, kInf}});
  const Assignment a = solve_assignment(steer);
  EXPECT_TRUE(a.feasible);
  EXPECT_EQ(a.row_to_col, (std::vector<int>{1, 0}));
  // ...and when no full assignment avoids them, nothing is assigned.
  const CostMatrix blocked = CostMatrix::from_rows({{kInf, kInf}, {1, 2}});
  const Assignment b = solve_assignment(blocked);
  EXPECT_FALSE(b.feasible);
  EXPECT_EQ(b.size(), 0u);
  const CostMatrix column_blocked = CostMatrix::from_rows({{1, kInf, 3}, {2, kInf, 4}, {5, kInf, 6}});
  EXPECT_FALSE(solve_assignment(column_blocked).feasible);
  // Rectangular: one blocked row of three is fine with two columns (it is left out).
  const CostMatrix tall = CostMatrix::from_rows({{kInf, kInf}, {1, 2}, {3, 1}});
  const Assignment t = solve_assignment(tall);
  EXPECT_TRUE(t.feasible);
  EXPECT_EQ(t.row_to_col, (std::vector<int>{-1, 0, 1}));
  EXPECT_THROW(solve_assignment(CostMatrix::from_rows({{std::nan(""), 1}})), std::invalid_argument);
  EXPECT_THROW(CostMatrix::from_rows({{1, 2}, {3}}), std::invalid_argument);
}

TEST(CctvTrack, HungarianMatchesBruteForce) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> value(-5.0, 20.0);
  std::uniform_int_distribution<int> size(1, 6);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int trial = 0; trial < 400; ++trial) {
    const auto rows = static_cast<std::size_t>(size(rng)), cols = static_cast<std::size_t>(size(rng));
    CostMatrix c(rows, cols);
    const double infeasible_share = trial % 3 == 0 ? 0.4 : 0.0;
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t j = 0; j < cols; ++j)
        c.at(i, j) = unit(rng) < infeasible_share ? kInf : std::round(value(rng));
    bool feasible = false;
    const double best = brute_force_best(c, feasible);
    const Assignment a = solve_assignment(c);
    ASSERT_EQ(a.feasible, feasible) << "trial " << trial;
    if (!feasible) continue;
    EXPECT_EQ(a.size(), std::min(rows, cols)) << "trial " << trial;
    EXPECT_NEAR(a.total_cost, best, 1e-9) << "trial " << trial;
    expect_consistent(a, c);
  }
}

TEST(CctvTrack, AssignmentWithLimitLeavesPairsUnmatched) {
  // Only the pair under the limit is taken; the others stay unassigned.
  const CostMatrix c = CostMatrix::from_rows({{0.1, 0.9}, {0.9, 0.95}});
  const Assignment a = solve_assignment_with_limit(c, 0.8);
  EXPECT_EQ(a.row_to_col, (std::vector<int>{0, -1}));
  EXPECT_EQ(a.col_to_row, (std::vector<int>{0, -1}));
  // Two pairs at 0.6 each beat one at 0.5 plus two unassigned (0.5 + 0.8).
  const CostMatrix two = CostMatrix::from_rows({{0.5, 0.6}, {0.6, 2.0}});
  EXPECT_EQ(solve_assignment_with_limit(two, 0.8).row_to_col, (std::vector<int>{1, 0}));
  // Infeasible entries and an empty side.
  const CostMatrix gated = CostMatrix::from_rows({{kInf, 0.2, kInf}, {kInf, 0.3, 0.7}});
  EXPECT_EQ(solve_assignment_with_limit(gated, 0.8).row_to_col, (std::vector<int>{1, 2}));
  EXPECT_EQ(solve_assignment_with_limit(CostMatrix(0, 4), 0.8).size(), 0u);
  // Above the limit a pair is never taken.
  EXPECT_EQ(solve_assignment_with_limit(CostMatrix::from_rows({{0.81}}), 0.8).size(), 0u);
  EXPECT_THROW(solve_assignment_with_limit(c, kInf), std::invalid_argument);
  EXPECT_THROW(solve_assignment_with_limit(c, -1.0), std::invalid_argument);
}

TEST(CctvTrack, AssignmentWithLimitMatchesBruteForce) {
  // The thresholded problem equals: choose any set of pairs under the limit, minimising
  // sum(cost) + limit/2 per unassigned row and column. Brute force over partial matchings.
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> value(0.0, 1.2);
  std::uniform_int_distribution<int> size(0, 5);
  const double limit = 0.8;
  for (int trial = 0; trial < 300; ++trial) {
    const auto rows = static_cast<std::size_t>(size(rng)), cols = static_cast<std::size_t>(size(rng));
    CostMatrix c(rows, cols);
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t j = 0; j < cols; ++j) c.at(i, j) = value(rng);
    // Brute force: each row picks a column or none.
    double best = kInf;
    std::vector<int> choice(rows, -1);
    const std::function<void(std::size_t, std::vector<char>&, double)> search =
        [&](std::size_t i, std::vector<char>& used, double total) {
          if (i == rows) {
            const auto free_cols = static_cast<double>(std::count(used.begin(), used.end(), 0));
            best = std::min(best, total + free_cols * limit / 2);
            return;
          }
          search(i + 1, used, total + limit / 2);
          for (std::size_t j = 0; j < cols; ++j) {
            if (used[j] || c.at(i, j) > limit) continue;
            used[j] = 1;
            search(i + 1, used, total + c.at(i, j));
            used[j] = 0;
          }
        };
    std::vector<char> used(cols, 0);
    search(0, used, 0.0);
    const Assignment a = solve_assignment_with_limit(c, limit);
    expect_consistent(a, c);
    const double unassigned = static_cast<double>(rows + cols - 2 * a.size()) * limit / 2;
    EXPECT_NEAR(a.total_cost + unassigned, best, 1e-9) << "trial " << trial;
    for (std::size_t i = 0; i < rows; ++i) {
      if (a.row_to_col[i] >= 0) {
        EXPECT_LE(c.at(i, static_cast<std::size_t>(a.row_to_col[i])), limit);
      }
    }
  }
}

}  // namespace
}  // namespace oi::cctv
