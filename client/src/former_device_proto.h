#pragma once

// FormerDevice to and from its keystore.proto message, for the keystore's pair record
// and the key backup (both keep the list). Private to the library.

#include "mend/client/keystore.h"
#include "mend/v1/keystore.pb.h"

namespace mend::client::detail {

inline FormerDevice former_from_proto(const v1::keystore::FormerDevice& f) {
  return FormerDevice{f.device_id(), f.own(),           f.until_epoch(),
                      f.closed(),    f.final_counter(), f.final_hash()};
}

inline void former_to_proto(const FormerDevice& f, v1::keystore::FormerDevice* d) {
  d->set_device_id(f.device_id);
  d->set_own(f.own);
  d->set_until_epoch(f.until_epoch);
  d->set_closed(f.closed);
  d->set_final_counter(f.final_counter);
  d->set_final_hash(f.final_hash);
}

}  // namespace mend::client::detail
