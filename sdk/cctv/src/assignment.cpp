#include "oi/cctv/assignment.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace oi::cctv {
namespace {

// The shortest-augmenting-path Hungarian method with row and column potentials (Kuhn-Munkres
// as Jonker and Volgenant reformulated it) for n <= m, all entries finite. Returns the
// column of each row.
std::vector<int> hungarian(const std::vector<double>& a, std::size_t n, std::size_t m) {
  const double inf = std::numeric_limits<double>::infinity();
  // 1-based, as in the textbook formulation: index 0 is the virtual start column.
  std::vector<double> u(n + 1, 0.0), v(m + 1, 0.0), min_to(m + 1);
  std::vector<std::size_t> row_of(m + 1, 0), way(m + 1, 0);
  std::vector<char> used(m + 1);
  for (std::size_t i = 1; i <= n; ++i) {
    row_of[0] = i;
    std::size_t j0 = 0;
    std::fill(min_to.begin(), min_to.end(), inf);
    std::fill(used.begin(), used.end(), 0);
    do {
      used[j0] = 1;
      const std::size_t i0 = row_of[j0];
      double delta = inf;
      std::size_t j1 = 0;
      for (std::size_t j = 1; j <= m; ++j) {
        if (used[j]) continue;
        const double reduced = a[(i0 - 1) * m + (j - 1)] - u[i0] - v[j];
        if (reduced < min_to[j]) {
          min_to[j] = reduced;
          way[j] = j0;
        }
        if (min_to[j] < delta) {
          delta = min_to[j];
          j1 = j;
        }
      }
      for (std::size_t j = 0; j <= m; ++j) {
        if (used[j]) {
          u[row_of[j]] += delta;
          v[j] -= delta;
        } else {
          min_to[j] -= delta;
        }
      }
      j0 = j1;
    } while (row_of[j0] != 0);
    do {  // flip the augmenting path
      const std::size_t j1 = way[j0];
      row_of[j0] = row_of[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int> col_of_row(n, -1);
  for (std::size_t j = 1; j <= m; ++j) {
    if (row_of[j] != 0) col_of_row[row_of[j] - 1] = static_cast<int>(j - 1);
  }
  return col_of_row;
}

}  // namespace

CostMatrix CostMatrix::from_rows(const std::vector<std::vector<double>>& rows) {
  const std::size_t cols = rows.empty() ? 0 : rows.front().size();
  CostMatrix out(rows.size(), cols);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].size() != cols)
      throw std::invalid_argument("CostMatrix::from_rows: row " + std::to_string(i) + " has " +
                                  std::to_string(rows[i].size()) + " entries, row 0 has " +
                                  std::to_string(cols));
    for (std::size_t j = 0; j < cols; ++j) out.at(i, j) = rows[i][j];
  }
  return out;
}

std::size_t Assignment::size() const {
  return static_cast<std::size_t>(
      std::count_if(row_to_col.begin(), row_to_col.end(), [](int c) { return c >= 0; }));
}

Assignment solve_assignment(const CostMatrix& cost) {
  Assignment out;
  out.row_to_col.assign(cost.rows(), -1);
  out.col_to_row.assign(cost.cols(), -1);
  if (cost.empty()) return out;
  const bool transpose = cost.rows() > cost.cols();
  const std::size_t n = transpose ? cost.cols() : cost.rows();
  const std::size_t m = transpose ? cost.rows() : cost.cols();
  // Infeasible entries become one cost larger than any assignment of finite entries can
  // reach, so the optimum uses one only when every full assignment needs one.
  double finite_span = 0.0;
  for (std::size_t i = 0; i < cost.rows(); ++i)
    for (std::size_t j = 0; j < cost.cols(); ++j) {
      const double c = cost.at(i, j);
      if (std::isnan(c) || c == -kInfeasibleCost)
        throw std::invalid_argument("solve_assignment: cost matrix holds NaN or -infinity");
      if (std::isfinite(c)) finite_span = std::max(finite_span, std::abs(c));
    }
  const double big = (finite_span + 1.0) * 2.0 * static_cast<double>(n + 1);
  std::vector<double> a(n * m);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < m; ++j) {
      const double c = transpose ? cost.at(j, i) : cost.at(i, j);
      a[i * m + j] = std::isfinite(c) ? c : big;
    }
  const std::vector<int> col_of_row = hungarian(a, n, m);
  for (std::size_t i = 0; i < n; ++i) {
    const int j = col_of_row[i];
    if (j < 0) continue;
    const std::size_t row = transpose ? static_cast<std::size_t>(j) : i;
    const std::size_t col = transpose ? i : static_cast<std::size_t>(j);
    if (!std::isfinite(cost.at(row, col))) {
      out.row_to_col.assign(cost.rows(), -1);
      out.col_to_row.assign(cost.cols(), -1);
      out.total_cost = 0.0;
      out.feasible = false;
      return out;
    }
    out.row_to_col[row] = static_cast<int>(col);
    out.col_to_row[col] = static_cast<int>(row);
    out.total_cost += cost.at(row, col);
  }
  return out;
}

Assignment solve_assignment_with_limit(const CostMatrix& cost, double max_cost) {
  if (!std::isfinite(max_cost) || max_cost < 0)
    throw std::invalid_argument("solve_assignment_with_limit: max_cost must be finite and >= 0");
  Assignment out;
  out.row_to_col.assign(cost.rows(), -1);
  out.col_to_row.assign(cost.cols(), -1);
  if (cost.empty()) return out;
  const std::size_t n = cost.rows(), m = cost.cols();

  // The objective separates over the connected components of the admissible pairs (cost <=
  // max_cost): persons far apart never compete. Solving each component alone turns the
  // O((n+m)^3) problem of a crowded frame into many tiny ones. Union-find over rows 0..n-1
  // and columns n..n+m-1.
  std::vector<std::size_t> parent(n + m);
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  const auto root = [&](std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < m; ++j) {
      const double c = cost.at(i, j);
      if (std::isnan(c)) throw std::invalid_argument("solve_assignment_with_limit: cost matrix holds NaN");
      if (c <= max_cost) parent[root(i)] = root(n + j);
    }
  std::vector<std::vector<std::size_t>> rows_of(n + m), cols_of(n + m);
  for (std::size_t i = 0; i < n; ++i) rows_of[root(i)].push_back(i);
  for (std::size_t j = 0; j < m; ++j) cols_of[root(n + j)].push_back(j);

  const double half = max_cost / 2.0;
  for (std::size_t component = 0; component < n + m; ++component) {
    const std::vector<std::size_t>& rows = rows_of[component];
    const std::vector<std::size_t>& cols = cols_of[component];
    if (rows.empty() || cols.empty()) continue;  // nothing admissible: stays unassigned
    if (rows.size() == 1 && cols.size() == 1) {  // one admissible pair, the usual case
      out.row_to_col[rows[0]] = static_cast<int>(cols[0]);
      out.col_to_row[cols[0]] = static_cast<int>(rows[0]);
      out.total_cost += cost.at(rows[0], cols[0]);
      continue;
    }
    // The square extension (lap.lapjv's extend_cost): the component's real pairs, a private
    // "unassigned" column per row and row per column at max_cost / 2 each, zero where dummy
    // meets dummy. A real pair is worth taking only when its cost is below the max_cost it
    // saves.
    const std::size_t r = rows.size(), c = cols.size();
    CostMatrix extended(r + c, r + c, kInfeasibleCost);
    for (std::size_t a = 0; a < r; ++a) {
      for (std::size_t b = 0; b < c; ++b) {
        const double value = cost.at(rows[a], cols[b]);
        extended.at(a, b) = value <= max_cost ? value : kInfeasibleCost;
      }
      extended.at(a, c + a) = half;
    }
    for (std::size_t b = 0; b < c; ++b) {
      extended.at(r + b, b) = half;
      for (std::size_t k = 0; k < r; ++k) extended.at(r + b, c + k) = 0.0;
    }
    const Assignment full = solve_assignment(extended);  // always feasible: the dummies exist
    for (std::size_t a = 0; a < r; ++a) {
      const int b = full.row_to_col[a];
      if (b < 0 || static_cast<std::size_t>(b) >= c) continue;
      const std::size_t row = rows[a], col = cols[static_cast<std::size_t>(b)];
      out.row_to_col[row] = static_cast<int>(col);
      out.col_to_row[col] = static_cast<int>(row);
      out.total_cost += cost.at(row, col);
    }
  }
  return out;
}

}  // namespace oi::cctv
