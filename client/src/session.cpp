#include "mend/client/session.h"

#include "mend/client/error.h"
#include "mend/common/auth_proof.h"
#include "mend/v1/wire.pb.h"

namespace mend::client {

namespace {

uint32_t request_id_of(const ServerEvent& e) {
  return std::visit(
      [](const auto& v) -> uint32_t {
        if constexpr (requires { v.request_id; })
          return v.request_id;
        else
          return 0;
      },
      e);
}

v1::ClientFrame frame(uint32_t request_id) {
  v1::ClientFrame f;
  f.set_version(v1::PROTOCOL_VERSION_1);
  f.set_request_id(request_id);
  return f;
}

template <class T>
T expect_answer(ServerEvent e, const char* what) {
  if (auto* err = std::get_if<ServerErrorEvent>(&e)) throw_server_error(*err);
  if (auto* v = std::get_if<T>(&e)) return std::move(*v);
  throw Error(Errc::kProtocolViolation, std::string("unexpected answer to ") + what);
}

}  // namespace

void throw_server_error(const ServerErrorEvent& e) {
  const std::string detail = e.message;
  switch (e.code) {
    case server_error::kNotPaired: throw Error(Errc::kNotPaired, "the server says: " + detail);
    case server_error::kAlreadyPaired:
      throw Error(Errc::kAlreadyPaired, "the server says: " + detail);
    case server_error::kCodeNotFound:
    case server_error::kCodeExpired:
    case server_error::kCodeUsed:
    case server_error::kOwnCode: throw Error(Errc::kPairingCodeRefused, detail);
    default: throw Error(Errc::kServerRefused, "error " + std::to_string(e.code) + ": " + detail);
  }
}

Session::Session(std::unique_ptr<Transport> transport) : transport_(std::move(transport)) {}
Session::~Session() = default;

std::unique_ptr<Session> Session::connect(const ServerUrl& url, const DeviceIdentity& identity,
                                          const TransportOptions& options) {
  return open(connect_websocket(url, options), identity, options.connect_timeout);
}

std::unique_ptr<Session> Session::open(std::unique_ptr<Transport> transport,
                                       const DeviceIdentity& identity,
                                       std::chrono::milliseconds timeout) {
  std::unique_ptr<Session> s(new Session(std::move(transport)));
  s->request_timeout_ = timeout;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (s->queue_.empty() && std::chrono::steady_clock::now() < deadline)
    s->receive_into_queue(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
  if (s->queue_.empty()) throw Error(Errc::kTimeout, "the server sent no challenge");
  auto* challenge = std::get_if<ChallengeEvent>(&s->queue_.front());
  if (challenge == nullptr)
    throw Error(Errc::kProtocolViolation, "the first frame is no challenge");
  s->server_id_ = challenge->server_id;
  s->max_frame_bytes_ = challenge->max_frame_bytes;
  const std::string nonce = challenge->nonce;
  s->queue_.pop_front();

  v1::ClientFrame f = frame(s->next_request_++);
  f.mutable_authenticate()->set_public_key(identity.signing_public_key());
  f.mutable_authenticate()->set_signature(
      sign_auth(identity.signing_secret_key().view(), s->server_id_, nonce));
  s->transport_->send(f.SerializeAsString());
  s->authenticated_ =
      expect_answer<AuthenticatedEvent>(s->await_answer(f.request_id()), "Authenticate");
  s->partner_online_ = s->authenticated_.partner_online;
  return s;
}

void Session::note(const ServerEvent& e) {
  if (auto* p = std::get_if<PresenceEvent>(&e)) partner_online_ = p->partner_online;
}

void Session::receive_into_queue(std::chrono::milliseconds timeout) {
  auto message = transport_->receive(timeout);
  if (!message) return;
  for (auto& e : decode_server_frame(*message)) {
    note(e);
    queue_.push_back(std::move(e));
  }
}

ServerEvent Session::await_answer(uint32_t request_id,
                                  const std::function<bool(const ServerEvent&)>& also) {
  const auto deadline = std::chrono::steady_clock::now() + request_timeout_;
  for (;;) {
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
      const bool fatal =
          std::holds_alternative<ServerErrorEvent>(*it) && std::get<ServerErrorEvent>(*it).fatal;
      if (request_id_of(*it) == request_id || fatal || (also && also(*it))) {
        // Paired and PairEnded with our id are answers; the same kinds with id 0 stay queued.
        ServerEvent e = std::move(*it);
        queue_.erase(it);
        return e;
      }
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw Error(Errc::kTimeout, "the server did not answer a request");
    receive_into_queue(left);
  }
}

PairingCodeEvent Session::request_pairing_code(bool replace_partner) {
  v1::ClientFrame f = frame(next_request_++);
  f.mutable_request_pairing_code()->set_replace_partner(replace_partner);
  transport_->send(f.SerializeAsString());
  return expect_answer<PairingCodeEvent>(await_answer(f.request_id()), "RequestPairingCode");
}

PairedEvent Session::redeem_pairing_code(std::string_view code) {
  v1::ClientFrame f = frame(next_request_++);
  f.mutable_redeem_pairing_code()->set_code(std::string(code));
  transport_->send(f.SerializeAsString());
  return expect_answer<PairedEvent>(await_answer(f.request_id()), "RedeemPairingCode");
}

uint32_t Session::send_pairing_message(std::string_view payload) {
  v1::ClientFrame f = frame(next_request_++);
  f.mutable_pairing_message()->set_payload(std::string(payload));
  transport_->send(f.SerializeAsString());
  return f.request_id();
}

AckEvent Session::send_stored(std::string_view header, std::string_view ciphertext) {
  v1::ClientFrame f = frame(next_request_++);
  auto* env = f.mutable_send()->mutable_envelope();
  env->set_header(std::string(header));
  env->set_ciphertext(std::string(ciphertext));
  transport_->send(f.SerializeAsString());
  return expect_answer<AckEvent>(await_answer(f.request_id()), "Send");
}

uint32_t Session::send_ephemeral(std::string_view header, std::string_view ciphertext) {
  v1::ClientFrame f = frame(next_request_++);
  auto* env = f.mutable_send()->mutable_envelope();
  env->set_header(std::string(header));
  env->set_ciphertext(std::string(ciphertext));
  transport_->send(f.SerializeAsString());
  return f.request_id();
}

uint32_t Session::subscribe(uint64_t after_sequence) {
  v1::ClientFrame f = frame(next_request_++);
  f.mutable_subscribe()->set_after_sequence(after_sequence);
  transport_->send(f.SerializeAsString());
  return f.request_id();
}

PairEndedEvent Session::unpair() {
  v1::ClientFrame f = frame(next_request_++);
  f.mutable_unpair();
  transport_->send(f.SerializeAsString());
  // When both devices unpair at the same moment, mendd ends the pair for the first
  // and never answers the second's Unpair; the partner's PairEnded says the same.
  return expect_answer<PairEndedEvent>(
      await_answer(f.request_id(),
                   [](const ServerEvent& e) { return std::holds_alternative<PairEndedEvent>(e); }),
      "Unpair");
}

BackupStoredEvent Session::put_backup(std::string_view backup_id, std::string_view blob) {
  v1::ClientFrame f = frame(next_request_++);
  f.mutable_put_backup()->set_backup_id(std::string(backup_id));
  f.mutable_put_backup()->set_blob(std::string(blob));
  transport_->send(f.SerializeAsString());
  return expect_answer<BackupStoredEvent>(await_answer(f.request_id()), "PutBackup");
}

BackupEvent Session::fetch_backup(std::string_view backup_id) {
  v1::ClientFrame f = frame(next_request_++);
  f.mutable_fetch_backup()->set_backup_id(std::string(backup_id));
  transport_->send(f.SerializeAsString());
  ServerEvent answer = await_answer(f.request_id());
  if (auto* err = std::get_if<ServerErrorEvent>(&answer);
      err && err->code == server_error::kNotFound)
    throw Error(Errc::kNoBackup, "the server holds no backup under this recovery code");
  return expect_answer<BackupEvent>(std::move(answer), "FetchBackup");
}

std::optional<ServerEvent> Session::next_event(std::chrono::milliseconds timeout) {
  if (queue_.empty()) receive_into_queue(timeout);
  if (queue_.empty()) return std::nullopt;
  ServerEvent e = std::move(queue_.front());
  queue_.pop_front();
  return e;
}

void Session::close() { transport_->close(); }

}  // namespace mend::client
