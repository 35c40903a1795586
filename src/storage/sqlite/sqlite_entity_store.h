#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/flat_hash.h"
#include "core/result.h"
#include "core/status.h"
#include "storage/entity_store.h"
#include "storage/history_store.h"

struct sqlite3;

// SqliteEntityStore is the EntityStore on one SQLite file in WAL mode.
// Threading: every public method is safe to call from any thread. CommitAsync() and the
// document writes queue their work for one writer thread, which commits everything queued
// (up to max_batch_writes) in a single transaction (group commit) and hands the batch to a
// reporter thread, which calls each request's callback in queue order while the writer
// runs the next transaction (a CommitAsyncFinishingOn callback is handed to its TaskRunner
// by the writer instead); a caller's writes are never split across transactions. Reads (Get, ScanAll, ScanDocuments)
// use a pool of read-only connections and never wait for the writer. A checkpointer thread
// with its own connection copies the WAL into the database file (checkpoint_pages).
// ScanAll/ScanDocuments callbacks may call back into the store (a fresh read connection is
// opened when the pool is empty) but must not call Close().
namespace dothi::storage::sqlite {

struct SqliteOptions {
  // Database file; its directory must exist. Created with the schema when missing.
  std::string path;
  // fsync the WAL at every commit: durable even on power loss; NORMAL still survives kill -9.
  bool synchronous_full = true;
  // Most writes the writer puts into one transaction; a larger single Commit still goes whole.
  std::size_t max_batch_writes = 10000;
  // How long a statement waits for a lock held by another process before failing, in ms.
  int busy_timeout_ms = 5000;
  // Idle read connections kept open for reuse; more are opened on demand when all are busy.
  std::size_t read_connections = 4;
  // Memory-mapped I/O for read connections, in bytes; 0 (off) scanned ~15% faster on ext4.
  std::int64_t read_mmap_bytes = 0;
  // History instances of existing series are appended to their month's rows without an
  // index entry (so an update writes no random page); once this many wait, the writer adds
  // their entries series by series, in transactions of history_merge_chunk rows between the
  // group commits (docs/decisions/0005, 0006).
  std::size_t history_merge_rows = 65536;
  std::size_t history_merge_chunk = 4096;
  // Close() finishes any merge and merges whatever waits, so a clean restart finds the
  // whole history indexed. Tests turn it off to leave a store as a crash would.
  bool history_merge_on_close = true;
  // Once the WAL holds this many pages, a checkpointer thread on its own connection copies
  // them into the database file while the writer goes on committing; the writer then copies
  // the few pages committed meanwhile, and its next transaction starts the WAL over.
  std::size_t checkpoint_pages = 10000;
};

class SqliteEntityStore final : public EntityStore, public HistoryStore {
 public:
  explicit SqliteEntityStore(SqliteOptions options);
  ~SqliteEntityStore() override;  // calls Close()

  SqliteEntityStore(const SqliteEntityStore&) = delete;
  SqliteEntityStore& operator=(const SqliteEntityStore&) = delete;

  // Opens (creating if needed) the file, switches to WAL, migrates the schema to the version
  // this build knows and starts the writer. Fails on a missing directory, a file that is not a
  // database or a schema newer than this build.
  Status Open() override;
  void CommitAsync(std::vector<EntityWrite> writes, CommitCallback done) override;
  // The writer hands done to finish_on right after the commit; the reporter thread is not
  // woken for it.
  void CommitAsyncFinishingOn(std::vector<EntityWrite> writes, TaskRunner finish_on,
                              CommitCallback done) override;
  Result<std::optional<std::string>> Get(std::string_view tenant, std::string_view id) override;
  Status ScanAll(const ScanFn& fn) override;
  Status PutDocument(std::string_view kind, std::string_view key, std::string_view bytes) override;
  void PutDocumentAsync(std::string_view kind, std::string_view key, std::string_view bytes,
                        CommitCallback done) override;
  Status DeleteDocument(std::string_view kind, std::string_view key) override;
  Status ScanDocuments(std::string_view kind, const DocFn& fn) override;
  StoreStats Stats() const override;

  // HistoryStore (sqlite_history.cc). History lives in the same file: a series table
  // (tenant, entity, attribute, datasetId -> id), an entity table (types, deletedAt) and one
  // table per calendar month of instance time, h_YYYYMM(instance, series, t, num, body),
  // appended in instance order, with an index table hx_YYYYMM(series, t, instance, num) so a
  // series' window is one index range (docs/decisions/0003). New instances of existing
  // series wait for their index entries until the writer merges them (docs/decisions/0005,
  // 0006); reads see both.
  Result<std::vector<std::size_t>> EditHistory(std::vector<HistoryEdit> edits) override;
  Result<std::optional<HistoryEntity>> GetHistoryEntity(std::string_view tenant,
                                                        std::string_view id) override;
  Status ScanHistoryEntities(std::string_view tenant, const HistoryEntityFn& fn) override;
  Result<std::vector<HistorySeries>> ListSeries(std::string_view tenant,
                                                std::string_view entity) override;
  Status ReadSeries(std::string_view tenant, std::int64_t series, const HistoryRange& range,
                    const HistoryRowFn& fn) override;
  Result<PruneStep> PruneHistory(std::string_view tenant, std::int64_t cutoff,
                                 std::int64_t after_series, std::size_t max_series) override;
  Result<std::vector<std::string>> HistoryTenants() override;
  Result<bool> NeedsBackfill() override;
  Status MarkBackfilled() override;
  Status MarkNeedsBackfill() override;
  // The time partitions (yyyymm) that exist, oldest first.
  std::vector<int> HistoryPartitionsForTesting() const;
  // Instances waiting for the index (committed, or written by the open transaction).
  std::size_t HistoryRecentRowsForTesting() const;
  // For /metrics: instances waiting for the index, instances merged into it
  // and time spent in merge transactions since open.
  struct HistoryMergeStats {
    std::size_t waiting = 0;
    std::uint64_t merged = 0;
    std::uint64_t merge_micros = 0;
  };
  HistoryMergeStats MergeStats() const;
  // Runs one merge step on the writer now, whatever history_merge_rows says (a merge starts
  // when none is under way and anything waits).
  Status MergeHistoryStepForTesting();

  // Commits everything already queued, stops the writer, checkpoints the WAL and closes the
  // connections. Waits for reads in progress. Idempotent.
  void Close() override;

  // The schema version this build creates and reads (PRAGMA user_version).
  static constexpr int kSchemaVersion = 5;

  // Test hooks: while paused the writer starts no new transaction, so commits queue up.
  void PauseWriterForTesting();
  void ResumeWriterForTesting();
  // Blocks until at least n write requests wait in the queue.
  void WaitUntilQueuedForTesting(std::size_t n);
  // The next transaction applies its writes, then fails before COMMIT and is rolled back.
  void FailNextTransactionForTesting();

 private:
  struct Connection;  // owns a sqlite3* and its prepared statements
  struct DocumentWrite {
    bool is_delete = false;
    std::string kind;
    std::string key;
    std::string bytes;
  };
  // One caller's writes, owned by the queue until the writer reports their outcome.
  struct Request {
    std::vector<EntityWrite> writes;
    std::optional<DocumentWrite> document;
    bool is_commit = false;  // counts in StoreStats::commits
    bool merge_step = false;  // MergeHistoryStepForTesting: runs alone, in place of a batch
    // Work of another kind run by the writer inside the transaction (history edits, pruning);
    // fails only for store errors.
    std::function<Status()> custom;
    CommitCallback done;
    TaskRunner finish_on;  // set: the writer hands done to it instead of the reporter
  };
  class ReadLease;  // RAII borrow of a read connection

  // Queues the request, or reports Unavailable through its callback when closed.
  void Submit(std::unique_ptr<Request> request);
  Status SubmitAndWait(std::unique_ptr<Request> request);
  void WriterLoop();
  // BEGIN, body, COMMIT on the writer connection; rolls back whatever a failure left open,
  // then tells the history state how the transaction ended.
  Status InWriteTransaction(const std::function<Status()>& body);
  Status ApplyBatch(const std::vector<std::unique_ptr<Request>>& batch, bool inject_failure);
  // Hands a finished batch (or merge step) and its outcome on: each request with finish_on
  // to it, the rest to the reporter thread (woken only when there is any).
  void PostReport(std::vector<std::unique_ptr<Request>> batch, Status status);
  // Runs the callbacks of committed batches, in commit order, so the writer can start the
  // next transaction at once.
  void ReporterLoop();
  Status ApplyRequest(const Request& request);
  Result<std::unique_ptr<Connection>> OpenReadConnection();
  // History on the writer (sqlite_history.cc).
  Status PrepareHistoryWriter(Connection& conn);
  Status PrepareHistoryReader(Connection& conn);
  Status LoadHistoryState(Connection& conn);
  Status WriteHistory(const EntityWrite& w);
  Status AppendInstance(std::string_view tenant, std::string_view entity,
                        const HistoryInstance& inst);
  Result<std::int64_t> AttrKey(std::string_view attr, bool create);  // 0: unknown, not created
  Result<std::int64_t> SeriesId(std::string_view tenant, std::string_view entity,
                                std::string_view attr, std::string_view dataset, bool create);
  Status EnsurePartition(int partition);
  // Schema 4 -> 5 (sqlite_history.cc), inside the migration's transaction: each month
  // h_YYYYMM (with its index inside) becomes rows h_YYYYMM and index hx_YYYYMM, and the
  // rows of history_recent join their months, indexed.
  static Status MigrateHistoryToV5(Connection& conn);
  Status ApplyEdit(const HistoryEdit& edit, std::size_t* affected);
  Status DeleteSeries(std::int64_t series);
  // Before COMMIT: persists the instance counter (and indexed_through when nothing waits).
  Status FinishHistoryTransaction();
  void HistoryTransactionEnded(bool committed);
  // Whether enough instances wait to merge, or a merge is under way.
  bool HistoryMergeDue() const;
  // One merge transaction: the next history_merge_chunk waiting rows, series by series,
  // entered into their months' indexes; the last one ends the merge. Starts a merge when
  // none is under way and anything waits; the writer carries an automatic one on by itself
  // (one MergeHistoryStepForTesting started waits for the next call).
  Status RunHistoryMergeStep(bool automatic);
  Status MergeChunk(bool* last, std::size_t* merged);  // merged: rows indexed
  // Series with waiting instances and ids above `after`, in id order (a merge's to-do list).
  std::vector<std::int64_t> WaitingSeriesAfter(std::int64_t after) const;
  // Deletes the rows of the given waiting instances of a series (in the open transaction;
  // the in-memory list forgets them when it commits).
  struct RecentEntry;
  Status DeleteWaiting(std::int64_t series, const std::vector<RecentEntry>& entries,
                       std::size_t* deleted);
  // Deletes a series' indexed instances in a month that are older than `before` (rows and
  // entries); rows: how many rows went.
  Status DeleteIndexed(int partition, std::int64_t series, std::int64_t before,
                       std::size_t* rows);
  // An instance's row (kind kInsertRow) or index entry (kInsertIndex) in its month, which
  // exists (sqlite_history.cc's statement kinds).
  Status PutInstance(int partition, int kind, std::int64_t series, std::int64_t instance,
                     const HistoryInstance& inst);
  // Records (in the open transaction) that every instance up to `instance` is indexed or
  // gone, so that a restart looks for waiting rows only above it.
  Status SetIndexedThrough(std::int64_t instance);
  std::vector<int> PartitionsSnapshot(std::uint64_t* generation) const;
  Result<std::unique_ptr<Connection>> AcquireReader();
  void ReleaseReader(std::unique_ptr<Connection> conn);

  const SqliteOptions options_;

  // Writer state, guarded by mu_.
  std::mutex mu_;
  std::condition_variable writer_cv_;   // work queued, pause lifted or stop requested
  std::condition_variable queued_cv_;   // a request was queued (for WaitUntilQueuedForTesting)
  std::deque<std::unique_ptr<Request>> queue_;
  enum class State { kNew, kOpen, kClosed };
  State state_ = State::kNew;
  bool stopping_ = false;
  bool paused_ = false;
  bool fail_next_ = false;  // FailNextTransactionForTesting
  std::thread writer_;
  // Committed batches waiting for their callbacks, guarded by report_mu_.
  struct Report {
    std::vector<std::unique_ptr<Request>> batch;
    Status status;
  };
  std::mutex report_mu_;
  std::condition_variable report_cv_;
  std::deque<Report> reports_;
  bool reports_closed_ = false;
  std::thread reporter_;
  std::unique_ptr<Connection> write_conn_;  // used by the writer thread only once it runs

  // Checkpoints, guarded by ckpt_mu_. The WAL hook (on the writer, in a commit) asks for
  // one; the checkpointer thread runs it on ckpt_db_; the writer finishes it
  // (CatchUpCheckpoint) after its next transaction.
  enum class Checkpoint { kIdle, kDue, kRunning, kCatchUp };
  static int WalHook(void* self, sqlite3* db, const char* name, int pages);
  void CheckpointerLoop();
  // Checkpointer thread: PASSIVE checkpoints until little is left; copied_any is set when
  // one copied something.
  int CheckpointRounds(bool* copied_any);
  void CatchUpCheckpoint();  // writer thread
  std::mutex ckpt_mu_;
  std::condition_variable ckpt_cv_;
  Checkpoint ckpt_state_ = Checkpoint::kIdle;
  bool ckpt_stopping_ = false;
  std::atomic<bool> ckpt_catch_up_{false};  // the writer's part is due
  sqlite3* ckpt_db_ = nullptr;               // the checkpointer thread's own connection
  int ckpt_last_copied_ = -1;                // checkpointer thread: the last WAL pages copied
  std::size_t ckpt_next_pages_ = 0;          // writer thread: WAL size that asks for one
  std::thread checkpointer_;
  std::atomic<std::uint64_t> checkpoints_{0};  // that copied the whole WAL
  std::atomic<std::size_t> wal_pages_{0};      // after the last commit

  // Read pool, guarded by read_mu_.
  std::mutex read_mu_;
  std::condition_variable readers_idle_cv_;  // active_readers_ reached zero
  std::vector<std::unique_ptr<Connection>> idle_readers_;
  std::size_t active_readers_ = 0;
  bool reads_open_ = false;

  // Close() runs once; later callers wait for the first to finish.
  std::mutex close_mu_;

  // History writer state, used by the writer thread only.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view k) const { return std::hash<std::string_view>{}(k); }
  };
  // Series ids by a 128-bit digest of tenant\0entity\0attr\0dataset (two unrelated 64-bit
  // hashes; built in series_key_, so a hit allocates nothing). A digest instead of the
  // ~90-byte key keeps a full cache at ~10 instead of ~32 MB; two keys sharing a digest is
  // a ~1e-28 event at the cache's bound. The table is keyed by the first half.
  struct SeriesDigest {
    std::uint64_t a = 0, b = 0;
  };
  struct CachedSeries {
    std::uint64_t b = 0;  // the digest's second half
    std::int64_t id = 0;
  };
  FlatHash<CachedSeries> series_cache_;
  // Rowids of entities the writer wrote, by a hash of tenant\0id, so that the next update of
  // one goes straight to its row instead of through the (tenant, id) index. The UPDATE
  // also checks tenant and id, so a stale or colliding entry only costs a second try. Only
  // the writer uses it; beyond its bound it starts over.
  struct CachedRowid {
    std::uint64_t key = 0;
    std::int64_t rowid = 0;
  };
  FlatHash<CachedRowid> entity_rowids_;
  Status WriteEntity(const EntityWrite& w);
  std::string series_key_;
  std::unordered_map<std::string, std::int64_t, KeyHash, std::equal_to<>> attr_keys_;  // IRI -> key
  std::vector<std::string> txn_new_attrs_;  // attribute keys to forget if the transaction fails
  std::vector<SeriesDigest> txn_new_series_;  // cache keys to forget if the transaction fails
  std::vector<int> txn_new_partitions_;      // tables created in the open transaction
  std::int64_t next_instance_ = 1;
  int last_partition_ = 0;  // a committed partition the last insert found (0: none)
  std::int64_t txn_first_instance_ = 1;
  // The waiting instances by series: each one's id and time, in instance order.
  // Only the writer changes it (adding an instance before its transaction commits, removing
  // one after); readers copy a series' entries under recent_mu_ and look each up in their
  // own snapshot, so an entry whose row is not (or no longer) there is skipped.
  struct RecentEntry {
    std::int64_t instance;
    std::int64_t time;
  };
  // Every instance up to it is indexed or gone (history_meta 'indexed_through'); the value
  // the open transaction writes, applied when it commits (0: none).
  std::int64_t indexed_through_ = 0;
  std::int64_t txn_indexed_through_ = 0;
  mutable std::mutex recent_mu_;
  std::unordered_map<std::int64_t, std::vector<RecentEntry>> recent_;
  std::size_t recent_rows_ = 0;
  // Changes of the open transaction, applied to recent_ when it ends.
  std::vector<std::int64_t> txn_recent_series_;                             // appended to
  std::vector<std::pair<std::int64_t, std::int64_t>> txn_recent_deleted_;  // (series, instance)
  std::int64_t txn_first_new_series_ = 0;  // the first series created in it (0: none)
  // A merge under way: instances up to merge_bound_ are copied, series merge_series_[i] for
  // i >= merge_next_ still to go (0 bound: none under way).
  std::int64_t merge_bound_ = 0;
  std::vector<std::int64_t> merge_series_;
  std::size_t merge_next_ = 0;
  std::atomic<std::uint64_t> merged_rows_{0};
  std::atomic<std::uint64_t> merge_micros_{0};
  bool merge_automatic_ = false;  // started by HistoryMergeDue, not by a test
  bool merge_paused_ = false;     // a merge step failed: wait for the next good commit
  // Committed time partitions, guarded by partitions_mu_ (readers take a snapshot).
  mutable std::mutex partitions_mu_;
  std::set<int> partitions_;
  std::atomic<std::uint64_t> partition_generation_{0};  // bumped when one is dropped

  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> transactions_{0};
  std::atomic<std::uint64_t> commit_micros_sum_{0};
};

}  // namespace dothi::storage::sqlite
