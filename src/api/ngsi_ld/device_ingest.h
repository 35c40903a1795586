#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/ngsi_ld/entity_codec.h"
#include "service/entity_service.h"

// MQTT device ingestion (FIWARE IoT Agent style). A device publishes measures to
// dothi/{tenant}/{device}/attrs ("_" is the default tenant) as a JSON object:
//   {"key": "<device key>", "ts": "2025-11-23T10:00:00Z", "level": 1.82, ...}
// Each member other than key and ts is a measure: a plain value, or an NGSI-LD attribute
// fragment ({"type": "Property", ...}). The device is registered as an NGSI-LD entity
// urn:ngsi-ld:Device:{device} of type Device in the tenant, with
//   controlledAsset  Relationship: the entity its measures update (created when missing)
//   assetType        Property: that entity's type, for creating it
//   deviceKey        Property: the key a message must carry
//   attributeMap     JsonProperty, optional: {"level": {"name": "waterLevel", "unitCode": "MTR"}}
// A measure becomes a Property (observedAt = ts, or the arrival time; unitCode from the map)
// appended to the entity (replacing the attribute). Unknown devices, wrong keys, malformed
// or oversized payloads are counted and logged (never the key) and write nothing.
// Writes are asynchronous: OnMessage never waits for a commit. Thread-safe.
namespace dothi::api::ngsi_ld {

struct IngestOptions {
  std::size_t max_payload_bytes = 64 * 1024;
  DecodeLimits limits;
};

struct IngestStats {
  std::uint64_t received = 0;
  std::uint64_t written = 0;        // durable updates (or creations) of the target entity
  std::uint64_t unknown_device = 0; // no Device entity, or one without controlledAsset
  std::uint64_t rejected_key = 0;
  std::uint64_t malformed = 0;      // bad topic, not JSON, bad measure
  std::uint64_t oversized = 0;
  std::uint64_t failed = 0;         // the write itself failed
};

class DeviceIngest {
 public:
  DeviceIngest(service::EntityService& entities, IngestOptions options)
      : entities_(entities), options_(options) {}
  void OnMessage(std::string_view topic, std::string_view payload);
  IngestStats Stats() const;

 private:
  void Count(std::atomic<std::uint64_t>& counter, std::string_view what, std::string_view topic);

  service::EntityService& entities_;
  IngestOptions options_;
  std::atomic<std::uint64_t> received_{0}, written_{0}, unknown_device_{0}, rejected_key_{0},
      malformed_{0}, oversized_{0}, failed_{0};
};

}  // namespace dothi::api::ngsi_ld
