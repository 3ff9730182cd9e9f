#include "scheduler.hpp"

#include <system_error>
#include <thread>
#include <utility>

#include "exception_text.hpp"

namespace oi {

Scheduler::Scheduler(std::vector<NodeRunner*> nodes, RunControl& control)
    : nodes_(std::move(nodes)), control_(control), ready_(nodes_.size(), nullptr) {}

Scheduler::~Scheduler() = default;

void Scheduler::run(std::size_t threads, const std::function<void()>& progress,
                    std::chrono::milliseconds interval) {
  if (nodes_.empty()) return;
  threads = std::max<std::size_t>(threads, 1);

  // Every node starts scheduled: the workers' first look sorts the sources (which can fire)
  // from the rest (which go idle until a frame arrives).
  unfinished_.store(static_cast<std::int64_t>(nodes_.size()));
  {
    WakeList seed(nodes_.size(), scheduled_);
    for (NodeRunner* node : nodes_) seed.wake(*node);
    std::lock_guard lock(mutex_);
    for (NodeRunner* node : seed.nodes()) {
      ready_[(ready_head_ + ready_count_.load()) % ready_.size()] = node;
      ready_count_.fetch_add(1);
    }
    running_ = true;
  }

  std::vector<std::thread> workers;
  workers.reserve(threads);
  try {
    for (std::size_t i = 0; i < threads; ++i) workers.emplace_back([this] { work(); });
  } catch (const std::system_error& e) {
    // Run on the workers that did start; with none, fail instead of hanging.
    if (workers.empty()) fail(std::string("cannot start a worker thread: ") + e.what());
  }

  {
    std::unique_lock lock(mutex_);
    while (!done_.load()) {
      if (!progress) {
        run_over_.wait(lock, [this] { return done_.load(); });
        break;
      }
      run_over_.wait_for(lock, interval, [this] { return done_.load(); });
      if (done_.load()) break;
      lock.unlock();
      try {
        progress();
      } catch (...) {
        fail("the progress callback threw " + current_exception_text());
      }
      lock.lock();
    }
    running_ = false;
  }
  // In-flight firings complete before run() returns, also after a failure.
  for (std::thread& worker : workers) worker.join();
}

void Scheduler::wake_sources() {
  WakeList woken(nodes_.size(), scheduled_);
  {
    std::lock_guard lock(mutex_);
    if (!running_ || done_.load()) return;
    for (NodeRunner* node : nodes_) {
      if (node->is_source()) woken.wake(*node);
    }
  }
  for (NodeRunner* node : woken.nodes()) push_ready(*node);
}

std::string Scheduler::error() const {
  std::lock_guard lock(mutex_);
  return error_.empty() ? deferred_error_ : error_;
}

void Scheduler::defer_failure(std::string message) {
  std::lock_guard lock(mutex_);
  if (deferred_error_.empty()) deferred_error_ = std::move(message);
}

void Scheduler::work() {
  WakeList wake(nodes_.size(), scheduled_);
  while (NodeRunner* node = wait_for_ready()) drive(node, wake);
}

NodeRunner* Scheduler::pop_ready_locked() {
  const std::size_t count = ready_count_.load(std::memory_order_relaxed);
  if (count == 0) return nullptr;
  NodeRunner* node = ready_[ready_head_];
  ready_head_ = (ready_head_ + 1) % ready_.size();
  ready_count_.store(count - 1, std::memory_order_relaxed);
  return node;
}

NodeRunner* Scheduler::try_pop_ready() {
  std::lock_guard lock(mutex_);
  return pop_ready_locked();
}

NodeRunner* Scheduler::wait_for_ready() {
  // No polling before sleeping: measured on 2 cores, a polling worker grabbed every node the
  // busy one queued and made tiny stages 2-3x slower, and it bought nothing for 5 us stages.
  std::unique_lock lock(mutex_);
  ++sleeping_;
  work_available_.wait(lock, [this] { return done_.load() || ready_count_.load() > 0; });
  --sleeping_;
  return done_.load() ? nullptr : pop_ready_locked();
}

void Scheduler::push_ready(NodeRunner& node) {
  bool wake_one = false;
  {
    std::lock_guard lock(mutex_);
    const std::size_t count = ready_count_.load(std::memory_order_relaxed);
    ready_[(ready_head_ + count) % ready_.size()] = &node;
    ready_count_.store(count + 1, std::memory_order_relaxed);
    // Awake workers are all busy (an idle one sleeps), so queued work waits until one of
    // them finishes its run of continuations unless a sleeper is woken.
    wake_one = sleeping_ > 0;
  }
  if (wake_one) work_available_.notify_one();
}

void Scheduler::drive(NodeRunner* node, WakeList& wake) {
  wake.nodes().clear();
  while (node != nullptr) {
    if (control_.failed.load(std::memory_order_acquire)) return;
    node->claim();
    switch (node->next_action()) {
      case NodeAction::kWait:
        // A failed release means someone notified the node since claim(): look again.
        if (node->try_release()) {
          released();
          node = continuation(wake);
        }
        break;
      case NodeAction::kFinish: {
        const Status status = node->finish(wake);
        // A stage that ends with an error (reports it could not write, events it could not
        // store) fails the run, but after the others have finished: what it passed on before
        // is still processed downstream.
        if (status.is_error()) defer_failure(status.message());
        finished();
        node = continuation(wake);
        break;
      }
      case NodeAction::kFire: {
        const Status status = node->fire(wake);
        if (status.is_error()) return fail(*node, status);
        if (!wake.nodes().empty()) {
          // Depth first: the frames just emitted go on while they are hot in the cache, and
          // the queues between here and the sink stay short.
          NodeRunner* next = continuation(wake);
          requeue_or_release(*node);
          node = next;
        } else if (ready_count_.load(std::memory_order_relaxed) > 0) {
          // A node that can always fire (a source feeding a lossy queue) must not starve
          // the ready ones.
          push_ready(*node);
          node = try_pop_ready();
        }
        break;
      }
    }
  }
}

NodeRunner* Scheduler::continuation(WakeList& wake) {
  std::vector<NodeRunner*>& woken = wake.nodes();
  if (woken.empty()) return nullptr;
  for (std::size_t i = 1; i < woken.size(); ++i) push_ready(*woken[i]);
  NodeRunner* next = woken.front();
  woken.clear();
  return next;
}

void Scheduler::requeue_or_release(NodeRunner& node) {
  for (;;) {
    node.claim();
    if (node.next_action() != NodeAction::kWait) return push_ready(node);
    if (node.try_release()) return released();
  }
}

void Scheduler::released() {
  if (scheduled_.fetch_sub(1, std::memory_order_acq_rel) == 1 &&
      unfinished_.load(std::memory_order_acquire) > 0) {
    stalled();
  }
}

void Scheduler::finished() {
  if (unfinished_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    end_run();
    return;
  }
  released();
}

void Scheduler::fail(NodeRunner& node, const Status& status) {
  // The plugin guard around every stage has named the node, its type and plugin already.
  (void)node;
  fail(status.message());
}

void Scheduler::fail(std::string message) {
  {
    std::lock_guard lock(mutex_);
    if (control_.failed.load()) return;
    error_ = std::move(message);
    control_.failed.store(true, std::memory_order_release);
  }
  end_run();
}

void Scheduler::stalled() {
  // No node is queued or running, so nothing can change any more: this is the only thread
  // looking at the graph.
  std::string waiting;
  for (const NodeRunner* node : nodes_) {
    const std::string reason = node->waiting_reason();
    if (!reason.empty()) waiting += (waiting.empty() ? "" : "; ") + reason;
  }
  fail("the pipeline stalled: no stage can run, yet not every stage has finished (" + waiting +
       "). A stage with several inputs receives frames on them at different rates: raise the "
       "capacity of the busier connection or give it the policy drop_oldest");
}

void Scheduler::end_run() {
  {
    std::lock_guard lock(mutex_);
    done_.store(true);
  }
  work_available_.notify_all();
  run_over_.notify_all();
}

}  // namespace oi
