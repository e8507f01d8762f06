#pragma once
// Shared includes for the end-to-end tests: a real mendd process, real
// WebSocket clients, loopback only.
#include <gtest/gtest.h>

#include "mend/common/auth_proof.h"
#include "mend/common/ids.h"
#include "mendd_process.h"
#include "test_client.h"

namespace mend::test {
using Body = v1::ServerFrame::BodyCase;
}  // namespace mend::test
