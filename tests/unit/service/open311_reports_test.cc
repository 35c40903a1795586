#include "service/open311_reports.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <set>
#include <thread>

#include "fakes/memory_entity_store.h"
#include "geo/geometry.h"

namespace dothi::service {
namespace {

using domain::open311::RequestStatus;

RequestContext Ctx(std::string tenant) { return RequestContext{std::move(tenant), "t", Now(), /*finish_on=*/{}}; }
constexpr std::int64_t kDay = 86'400'000'000;
const Timestamp kNow = *ParseIso8601("2026-11-24T03:00:00Z");

std::vector<domain::open311::ServiceDefinition> Catalogue() {
  std::vector<domain::open311::ServiceDefinition> out;
  for (const char* code : {"a", "b", "c"}) {
    domain::open311::ServiceDefinition s;
    s.code = code;
    s.name_vi = s.name_en = code;
    s.department = std::string("dept-") + (code[0] == 'c' ? "2" : "1");
    out.push_back(s);
  }
  return out;
}

Submission At(std::string code, double lon, double lat) {
  Submission s;
  s.service_code = std::move(code);
  s.lon = lon;
  s.lat = lat;
  return s;
}

class Open311ReportsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_.Open().ok());
    ASSERT_TRUE(catalogues_.Put("hanoi", Catalogue()).ok());
    ASSERT_TRUE(catalogues_.Put("danang", Catalogue()).ok());
    Start();
  }
  // A fresh service over the same store, as after a restart.
  void Start() {
    reports_.reset();
    entities_ = std::make_unique<EntityService>(store_, EntityServiceOptions{});
    ASSERT_TRUE(entities_->Load().ok());
    reports_ = std::make_unique<Open311Reports>(*entities_, store_, catalogues_, nullptr, nullptr,
                                                Open311ReportOptions{});
    ASSERT_TRUE(reports_->Load().ok());
  }

  testing::MemoryEntityStore store_;
  Open311Catalogues catalogues_;
  std::unique_ptr<EntityService> entities_;
  std::unique_ptr<Open311Reports> reports_;
};

struct Made {
  std::uint64_t number;
  std::string code;
  Timestamp requested;
  RequestStatus status;
};

// Listings and statistics equal a brute-force evaluation over what was submitted, before
// and after a restart.
TEST_F(Open311ReportsTest, FindAndStatisticsMatchABruteForceEvaluation) {
  std::mt19937 rng(5);
  std::vector<Made> made;
  const char* codes[] = {"a", "b", "c"};
  for (int i = 0; i < 600; ++i) {
    const Timestamp when{kNow.micros - static_cast<std::int64_t>(rng() % (80 * kDay / 1000)) * 1000};
    Result<SubmitResult> r = reports_->Submit(Ctx("hanoi"), At(codes[rng() % 3], 105.8 + (rng() % 1000) * 1e-4, 21.0), when);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    Made m{r->request.number, r->request.service_code, r->request.requested, RequestStatus::kReceived};
    const unsigned fate = rng() % 4;
    if (fate >= 1) {
      StaffUpdate u;
      u.number = m.number;
      u.status = fate == 3 ? RequestStatus::kRejected : RequestStatus::kAcknowledged;
      ASSERT_TRUE(reports_->Update(Ctx("hanoi"), u, Timestamp{when.micros + 3'600'000'000}).ok());
      m.status = *u.status;
    }
    if (fate == 2) {
      StaffUpdate u;
      u.number = m.number;
      u.status = RequestStatus::kResolved;
      ASSERT_TRUE(reports_->Update(Ctx("hanoi"), u, Timestamp{when.micros + 2 * kDay}).ok());
      m.status = RequestStatus::kResolved;
    }
    made.push_back(m);
  }
  auto brute = [&](const ReportFilter& f) {
    std::vector<Made> out;
    const Timestamp end = f.end.value_or(kNow);
    const Timestamp start = f.start.value_or(Timestamp{end.micros - 90 * kDay});
    for (const Made& m : made) {
      if (m.requested < start || m.requested > end) continue;
      if (!f.service_codes.empty() &&
          std::find(f.service_codes.begin(), f.service_codes.end(), m.code) == f.service_codes.end()) {
        continue;
      }
      if (!f.statuses.empty()) {
        const std::string open(domain::open311::Open311Status(m.status));
        const std::string name(domain::open311::StatusName(m.status));
        if (std::find(f.statuses.begin(), f.statuses.end(), open) == f.statuses.end() &&
            std::find(f.statuses.begin(), f.statuses.end(), name) == f.statuses.end()) {
          continue;
        }
      }
      out.push_back(m);
    }
    std::sort(out.begin(), out.end(), [](const Made& a, const Made& b) {
      return a.requested != b.requested ? a.requested > b.requested : a.number > b.number;
    });
    std::vector<std::uint64_t> ids;
    for (const Made& m : out) ids.push_back(m.number);
    return ids;
  };
  std::vector<ReportFilter> filters(6);
  filters[1].service_codes = {"a", "c"};
  filters[2].statuses = {"open"};
  filters[3].statuses = {"closed"};
  filters[3].service_codes = {"b"};
  filters[4].start = Timestamp{kNow.micros - 30 * kDay};
  filters[4].end = Timestamp{kNow.micros - 10 * kDay};
  filters[5].statuses = {"acknowledged", "rejected"};
  for (int round = 0; round < 2; ++round) {
    for (std::size_t i = 0; i < filters.size(); ++i) {
      Result<std::vector<domain::open311::ServiceRequest>> got = reports_->Find(Ctx("hanoi"), filters[i], kNow);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      std::vector<std::uint64_t> ids;
      for (const auto& r : *got) ids.push_back(r.number);
      EXPECT_EQ(ids, brute(filters[i])) << "filter " << i << ", round " << round;
    }
    // Paging walks the same list.
    ReportFilter paged;
    paged.page_size = 7;
    std::vector<std::uint64_t> walked;
    for (paged.page = 1;; ++paged.page) {
      auto page = reports_->Find(Ctx("hanoi"), paged, kNow);
      ASSERT_TRUE(page.ok());
      if (page->empty()) break;
      for (const auto& r : *page) walked.push_back(r.number);
    }
    EXPECT_EQ(walked, brute(ReportFilter{}));

    auto stats = reports_->Statistics(Ctx("hanoi"), std::nullopt, std::nullopt, {}, StatsGroup::kDepartment, kNow);
    ASSERT_TRUE(stats.ok());
    ASSERT_EQ(stats->size(), 3u);  // all, dept-1, dept-2
    std::size_t resolved = 0, acknowledged = 0, dept2 = 0;
    for (const Made& m : made) {
      resolved += m.status == RequestStatus::kResolved;
      acknowledged += m.status != RequestStatus::kReceived;
      dept2 += m.code == "c";
    }
    EXPECT_EQ((*stats)[0].total, made.size());
    EXPECT_EQ((*stats)[0].resolved, resolved);
    EXPECT_EQ((*stats)[0].acknowledged, acknowledged);
    EXPECT_EQ((*stats)[2].key, "dept-2");
    EXPECT_EQ((*stats)[2].total, dept2);
    ASSERT_TRUE((*stats)[0].resolve_hours_median);
    EXPECT_DOUBLE_EQ(*(*stats)[0].resolve_hours_median, 48.0);
    EXPECT_DOUBLE_EQ(*(*stats)[0].acknowledge_hours_p90, 1.0);
    Start();  // the same after a restart
  }
}

TEST_F(Open311ReportsTest, JurisdictionsSeeOnlyTheirOwnReports) {
  Submission s = At("a", 105.85, 21.03);
  s.reporter.email = "a@example.vn";
  Result<SubmitResult> r = reports_->Submit(Ctx("hanoi"), s, kNow);
  ASSERT_TRUE(r.ok());
  const std::uint64_t n = r->request.number;
  EXPECT_TRUE(reports_->Get(Ctx("hanoi"), n).ok());
  EXPECT_EQ(reports_->Get(Ctx("danang"), n).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(reports_->ByToken(Ctx("danang"), r->token).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(reports_->ReporterOf(Ctx("danang"), n).status().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(reports_->ErasePersonalData(Ctx("danang"), n, r->token).ok());
  StaffUpdate u;
  u.number = n;
  u.status = RequestStatus::kAcknowledged;
  EXPECT_EQ(reports_->Update(Ctx("danang"), u, kNow).status().code(), ErrorCode::kNotFound);
  auto danang = reports_->Find(Ctx("danang"), ReportFilter{}, kNow);
  ASSERT_TRUE(danang.ok());
  EXPECT_TRUE(danang->empty());
  EXPECT_EQ(reports_->Find(Ctx("nowhere"), ReportFilter{}, kNow).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(reports_->Submit(Ctx("nowhere"), At("a", 105.85, 21.03), kNow).status().code(), ErrorCode::kNotFound);
  // Each jurisdiction numbers its own reports.
  Result<SubmitResult> d = reports_->Submit(Ctx("danang"), At("a", 108.2, 16.05), kNow);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->request.number, 1u);
  EXPECT_EQ(reports_->ReporterOf(Ctx("hanoi"), n)->email, "a@example.vn");
}

TEST_F(Open311ReportsTest, PossibleDuplicatesAreOpenReportsOfTheServiceNearbyAndRecent) {
  auto submit = [&](const char* code, double lon, double lat, Timestamp when) {
    Result<SubmitResult> r = reports_->Submit(Ctx("hanoi"), At(code, lon, lat), when);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : SubmitResult{};
  };
  const SubmitResult first = submit("a", 105.85, 21.03, Timestamp{kNow.micros - 2 * kDay});
  const SubmitResult old = submit("a", 105.85, 21.03, Timestamp{kNow.micros - 8 * kDay});
  const SubmitResult far = submit("a", 105.8506, 21.03, Timestamp{kNow.micros - kDay});  // ~62 m east
  const SubmitResult other = submit("b", 105.85, 21.03, Timestamp{kNow.micros - kDay});
  const SubmitResult fresh = submit("a", 105.8503, 21.0302, kNow);  // ~36 m from first, ~33 m from far
  EXPECT_EQ(fresh.possible_duplicates, (std::vector<std::uint64_t>{far.request.number, first.request.number}));
  (void)old;
  (void)other;
  StaffUpdate u;
  u.number = far.request.number;
  u.status = RequestStatus::kResolved;
  ASSERT_TRUE(reports_->Update(Ctx("hanoi"), u, kNow).ok());
  const SubmitResult again = submit("a", 105.8503, 21.0302, kNow);
  EXPECT_EQ(again.possible_duplicates, (std::vector<std::uint64_t>{fresh.request.number, first.request.number}))
      << "a resolved report is no longer offered";
}

// The offered duplicates equal a brute-force search over everything submitted before.
TEST_F(Open311ReportsTest, PossibleDuplicatesMatchABruteForceSearch) {
  struct Placed {
    std::uint64_t number;
    std::string code;
    double lon, lat;
    Timestamp at;
    bool open;
  };
  std::vector<Placed> placed;
  std::mt19937 rng(9);
  std::uniform_real_distribution<double> dlon(-0.0012, 0.0012), dlat(-0.0012, 0.0012);
  const char* codes[] = {"a", "b"};
  for (int i = 0; i < 500; ++i) {
    const Timestamp at{kNow.micros - (500 - i) * (kDay / 25)};  // 20 days, in order
    Placed p{0, codes[rng() % 2], 105.85 + dlon(rng), 21.03 + dlat(rng), at, true};
    Result<SubmitResult> r = reports_->Submit(Ctx("hanoi"), At(p.code, p.lon, p.lat), at);
    ASSERT_TRUE(r.ok());
    p.number = r->request.number;
    std::vector<std::uint64_t> expected;
    for (auto it = placed.rbegin(); it != placed.rend(); ++it) {
      if (it->open && it->code == p.code && it->at.micros >= at.micros - 7 * kDay &&
          geo::HaversineMeters(p.lon, p.lat, it->lon, it->lat) <= 50) {
        expected.push_back(it->number);
      }
    }
    EXPECT_EQ(r->possible_duplicates, expected) << "report " << i;
    if (rng() % 3 == 0) {
      StaffUpdate u;
      u.number = p.number;
      u.status = RequestStatus::kRejected;
      ASSERT_TRUE(reports_->Update(Ctx("hanoi"), u, at).ok());
      p.open = false;
    }
    placed.push_back(p);
  }
}

TEST_F(Open311ReportsTest, OverdueReportsAreListedOnceTheirDeadlinePasses) {
  // Service "a": acknowledge within 8 working hours, resolve within 5 working days.
  Result<SubmitResult> waiting = reports_->Submit(Ctx("hanoi"), At("a", 105.85, 21.03), kNow);
  Result<SubmitResult> answered = reports_->Submit(Ctx("hanoi"), At("a", 105.86, 21.03), kNow);
  Result<SubmitResult> done = reports_->Submit(Ctx("hanoi"), At("a", 105.87, 21.03), kNow);
  ASSERT_TRUE(waiting.ok() && answered.ok() && done.ok());
  StaffUpdate u;
  u.number = answered->request.number;
  u.status = RequestStatus::kAcknowledged;
  ASSERT_TRUE(reports_->Update(Ctx("hanoi"), u, kNow).ok());
  u.number = done->request.number;
  u.status = RequestStatus::kResolved;
  ASSERT_TRUE(reports_->Update(Ctx("hanoi"), u, kNow).ok());
  ReportFilter overdue;
  overdue.overdue_only = true;
  overdue.start = Timestamp{kNow.micros - kDay};
  overdue.end = Timestamp{kNow.micros + kDay};
  auto numbers = [&](Timestamp now) {
    std::vector<std::uint64_t> out;
    auto found = reports_->Find(Ctx("hanoi"), overdue, now);
    EXPECT_TRUE(found.ok());
    for (const auto& r : *found) out.push_back(r.number);
    return out;
  };
  EXPECT_TRUE(numbers(kNow).empty());
  // Two days on: past the acknowledge deadline, not the resolve one.
  EXPECT_EQ(numbers(Timestamp{kNow.micros + 2 * kDay}), (std::vector<std::uint64_t>{waiting->request.number}));
  // Three weeks on: both open reports.
  EXPECT_EQ(numbers(Timestamp{kNow.micros + 21 * kDay}),
            (std::vector<std::uint64_t>{answered->request.number, waiting->request.number}));
}

// Escalations are recorded once per level as deadlines pass, as an update by "system" in
// the entity, and survive a restart; an answered report is not escalated.
TEST_F(Open311ReportsTest, EscalationsAreRecordedOncePerLevel) {
  Result<SubmitResult> waiting = reports_->Submit(Ctx("hanoi"), At("a", 105.85, 21.03), kNow);
  Result<SubmitResult> answered = reports_->Submit(Ctx("danang"), At("c", 108.2, 16.05), kNow);
  ASSERT_TRUE(waiting.ok() && answered.ok());
  StaffUpdate u;
  u.number = answered->request.number;
  u.status = RequestStatus::kAcknowledged;
  ASSERT_TRUE(reports_->Update(Ctx("danang"), u, kNow).ok());

  EXPECT_EQ(*reports_->RecordEscalations(kNow), 0u);
  // Two days on: hanoi's report was not acknowledged in time (8 working hours).
  const Timestamp later{kNow.micros + 2 * kDay};
  EXPECT_EQ(*reports_->RecordEscalations(later), 1u);
  EXPECT_EQ(*reports_->RecordEscalations(later), 0u) << "recorded once";
  Result<domain::open311::ServiceRequest> r = reports_->Get(Ctx("hanoi"), waiting->request.number);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->escalation, 1);
  ASSERT_EQ(r->updates.size(), 1u);
  EXPECT_EQ(r->updates[0].by, "system");
  EXPECT_NE(r->updates[0].description.find("escalated to the head of dept-1"), std::string::npos);
  // A week on: level 2 for hanoi; danang's acknowledged report is past its 5 working days too.
  const Timestamp week{kNow.micros + 8 * kDay};
  EXPECT_EQ(*reports_->RecordEscalations(week, 1), 1u) << "at most the limit";
  EXPECT_EQ(*reports_->RecordEscalations(week), 1u) << "the rest at the next call";
  Start();  // restart: nothing new to record
  EXPECT_EQ(*reports_->RecordEscalations(week), 0u);
  EXPECT_EQ(reports_->Get(Ctx("hanoi"), waiting->request.number)->escalation, 2);
  EXPECT_EQ(reports_->Get(Ctx("danang"), answered->request.number)->escalation, 1);
}

// Submissions, staff updates, feedback, listings, statistics and escalations from many
// threads at once (run under ThreadSanitizer by scripts/tsan.sh): every report is taken
// once, numbers are unique, and every acknowledged update is in the report afterwards.
TEST_F(Open311ReportsTest, ConcurrentUseKeepsEveryReportAndUpdate) {
  constexpr int kThreads = 6, kEach = 40;
  std::vector<std::vector<std::uint64_t>> numbers(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string tenant = t % 2 == 0 ? "hanoi" : "danang";
      for (int i = 0; i < kEach; ++i) {
        const Timestamp at{kNow.micros - (kEach - i) * 60'000'000LL};
        Result<SubmitResult> r = reports_->Submit(Ctx(tenant), At(i % 2 ? "a" : "b", 105.85 + t * 1e-4, 21.03), at);
        if (!r.ok()) {
          ++failures;
          continue;
        }
        numbers[t].push_back(r->request.number);
        StaffUpdate u;
        u.number = r->request.number;
        u.status = RequestStatus::kResolved;
        u.description = "xong";
        if (!reports_->Update(Ctx(tenant), u, at).ok()) ++failures;
        Feedback f;
        f.number = r->request.number;
        f.token = r->token;
        f.rating = 1 + i % 5;
        if (!reports_->GiveFeedback(Ctx(tenant), f, at).ok()) ++failures;
        if (!reports_->Find(Ctx(tenant), ReportFilter{}, kNow).ok()) ++failures;
        if (!reports_->Statistics(Ctx(tenant), std::nullopt, std::nullopt, {}, StatsGroup::kService, kNow).ok()) {
          ++failures;
        }
        if (!reports_->RecordEscalations(kNow).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  for (const char* tenant : {"hanoi", "danang"}) {
    std::set<std::uint64_t> seen;
    for (int t = tenant[0] == 'h' ? 0 : 1; t < kThreads; t += 2) {
      for (std::uint64_t n : numbers[t]) {
        EXPECT_TRUE(seen.insert(n).second) << "number " << n << " given twice in " << tenant;
        Result<domain::open311::ServiceRequest> r = reports_->Get(Ctx(tenant), n);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r->status, RequestStatus::kResolved);
        EXPECT_TRUE(r->rating.has_value());
        EXPECT_EQ(r->updates.size(), 1u);
      }
    }
    EXPECT_EQ(seen.size(), std::size_t{kThreads / 2 * kEach});
    auto stats = reports_->Statistics(Ctx(tenant), Timestamp{kNow.micros - kDay}, kNow, {}, StatsGroup::kNone, kNow);
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ((*stats)[0].total, seen.size());
    EXPECT_EQ((*stats)[0].ratings, seen.size());
  }
}

TEST_F(Open311ReportsTest, RefusedSubmissionsStoreNothing) {
  const std::size_t before = store_.Stats().transactions;
  Submission s = At("zzz", 105.85, 21.03);
  EXPECT_EQ(reports_->Submit(Ctx("hanoi"), s, kNow).status().code(), ErrorCode::kBadRequestData);
  s = At("a", 2.35, 48.85);
  EXPECT_EQ(reports_->Submit(Ctx("hanoi"), s, kNow).status().code(), ErrorCode::kBadRequestData);
  s = At("a", 105.85, 21.03);
  s.description = std::string("\xc3\x28", 2);
  EXPECT_EQ(reports_->Submit(Ctx("hanoi"), s, kNow).status().code(), ErrorCode::kBadRequestData);
  s.description = std::string(5000, 'x');
  EXPECT_EQ(reports_->Submit(Ctx("hanoi"), s, kNow).status().code(), ErrorCode::kBadRequestData);
  EXPECT_EQ(store_.Stats().transactions, before);
  EXPECT_TRUE(reports_->Find(Ctx("hanoi"), ReportFilter{}, kNow)->empty());
}

}  // namespace
}  // namespace dothi::service
