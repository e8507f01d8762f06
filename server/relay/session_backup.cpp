// Key backup frames of DeviceSession: an opaque blob per device, stored by a
// paired device and fetched by id (docs/PROTOCOL.md, "Key backups").
#include "mend/common/wall_clock.h"
#include "relay/device_session.h"
#include "relay/outbound.h"
#include "relay/server_state.h"

namespace mend::server {

void DeviceSession::handle_put_backup(uint32_t rid, const v1::PutBackup& put) {
  if (!require_pair(rid)) return;
  if (!state_.send_allowed(device_id_)) {
    state_.metrics().reject(Rejection::rate_limited);
    fail(rid, v1::ERROR_CODE_RATE_LIMITED, "sending too fast; slow down and retry");
    return;
  }
  auto stored = std::make_shared<bool>(false);
  const uint64_t now = unix_ms();
  state_.storage().write(
      [stored, id = put.backup_id(), pair = pair_id_, device = device_id_, blob = put.blob(),
       now](Storage& s) { *stored = s.put_backup(id, pair, device, blob, now); },
      [self = shared_from_this(), rid, stored, now](bool ok) {
        if (!ok) {
          self->fail(rid, v1::ERROR_CODE_INTERNAL,
                     "the backup could not be stored; try again shortly");
          return;
        }
        if (!*stored) {
          self->fail(rid, v1::ERROR_CODE_FORBIDDEN,
                     "the backup was not stored: this device is no longer in the pair, or "
                     "another device's backup has this id; make a new recovery code");
          return;
        }
        v1::ServerFrame f = server_frame(rid);
        f.mutable_backup_stored()->set_stored_at_ms(now);
        self->send(f);
      });
}

void DeviceSession::handle_fetch_backup(uint32_t rid, const std::string& backup_id) {
  // Ids are 256-bit, so guessing is hopeless; the limit keeps a client from
  // turning the server into a lookup oracle at line rate anyway.
  if (!state_.pairing_attempt_allowed(out_->remote_ip())) {
    state_.metrics().reject(Rejection::pairing_rate_limited);
    fail(rid, v1::ERROR_CODE_RATE_LIMITED,
         "too many pairing or restore attempts; wait a minute and retry");
    return;
  }
  auto found = std::make_shared<std::optional<BackupRecord>>();
  state_.storage().read([found, backup_id](Storage& s) { *found = s.fetch_backup(backup_id); },
                        [self = shared_from_this(), rid, found](bool ok) {
                          if (!ok) {
                            self->fail(rid, v1::ERROR_CODE_INTERNAL,
                                       "storage is unavailable; try again shortly");
                            return;
                          }
                          if (!*found) {
                            self->fail(rid, v1::ERROR_CODE_NOT_FOUND,
                                       "no backup under this id; check the recovery code");
                            return;
                          }
                          v1::ServerFrame f = server_frame(rid);
                          f.mutable_backup()->set_blob(std::move((*found)->blob));
                          f.mutable_backup()->set_stored_at_ms((*found)->stored_at_ms);
                          self->send(f);
                        });
}

}  // namespace mend::server
