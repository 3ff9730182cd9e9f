#include "mosquitto_broker.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace oi::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const char* const kBroker = "/usr/sbin/mosquitto";
const char* const kSub = "/usr/bin/mosquitto_sub";
const char* const kPub = "/usr/bin/mosquitto_pub";

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t length = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

bool mosquitto_present() { return fs::exists(kBroker) && fs::exists(kSub) && fs::exists(kPub); }

MosquittoBroker::MosquittoBroker(fs::path dir) : dir_(std::move(dir)), port_(free_port()) {
  const passwd* user = ::getpwuid(::getuid());
  std::ofstream(dir_ / "mosquitto.conf")
      << "listener " << port_ << " 127.0.0.1\nallow_anonymous true\n"
      << "persistence true\npersistence_location " << dir_.string() << "/\n"
      << "user " << (user ? user->pw_name : "root") << "\n";
}

MosquittoBroker::~MosquittoBroker() { stop(); }

bool MosquittoBroker::start() {
  process_ =
      std::make_unique<Process>(std::vector<std::string>{kBroker, "-c", (dir_ / "mosquitto.conf").string()},
                                std::map<std::string, std::string>{}, dir_.string());
  for (int i = 0; i < 100; ++i) {
    if (accepts(port_)) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

void MosquittoBroker::stop() {
  if (!process_) return;
  ::kill(process_->pid(), SIGTERM);
  process_->wait();
  process_.reset();
}

MosquittoSubscriber::MosquittoSubscriber(const fs::path& dir, int port, const std::string& topic)
    : port_(port) {
  process_ = std::make_unique<Process>(
      std::vector<std::string>{kSub, "-h", "127.0.0.1", "-p", std::to_string(port), "-t", topic, "-q", "1",
                               "-c", "-i", "oi-test-subscriber", "-v"},
      std::map<std::string, std::string>{}, dir.string());
}

MosquittoSubscriber::~MosquittoSubscriber() {
  ::kill(process_->pid(), SIGTERM);
  process_->wait();
}

bool MosquittoSubscriber::ready(const std::string& prefix) {
  for (int i = 0; i < 50; ++i) {
    run_process({kPub, "-h", "127.0.0.1", "-p", std::to_string(port_), "-t", prefix + "/probe", "-m", "probe",
                 "-q", "1"});
    if (read_text(process_->out_file()).find(prefix + "/probe") != std::string::npos) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

std::vector<nlohmann::json> MosquittoSubscriber::messages(const std::string& topic, std::size_t count) const {
  std::vector<nlohmann::json> out;
  for (int wait = 0; wait < 200; ++wait) {
    out.clear();
    std::istringstream lines(read_text(process_->out_file()));
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(topic + " ", 0) != 0) continue;
      const nlohmann::json j = nlohmann::json::parse(line.substr(topic.size() + 1), nullptr, false);
      if (!j.is_discarded()) out.push_back(j);
    }
    if (out.size() >= count) break;
    std::this_thread::sleep_for(100ms);
  }
  return out;
}

}  // namespace oi::test
