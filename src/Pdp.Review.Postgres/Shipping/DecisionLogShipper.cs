using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Pdp.Audit;
using Pdp.Audit.Reading;
using Pdp.Review.Events;
using Pdp.Review.Postgres.Store;

namespace Pdp.Review.Postgres.Shipping;

/// <summary>
/// Ships this instance's trail to the fleet decision log: every <c>decision</c> record into <c>fleet_decisions</c>,
/// in batches, and the trail's position (last seq and hash) into <c>fleet_trails</c> in the same transaction. At least
/// once and idempotent by decision id, so a batch retried after a failure or a kill -9 adds no second row, and the
/// next start resumes right after the last committed position: no gap, no duplicate. Decide never waits for it.
/// </summary>
public sealed partial class DecisionLogShipper(NpgsqlDataSource dataSource, string activePath, string instance, int batchSize, TimeSpan interval, ILogger<DecisionLogShipper> logger) : IDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan FirstRecordPoll = TimeSpan.FromMilliseconds(100);

    // One shipper at a time: the loop, or the final drain at a graceful stop.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private TrailTail? _tail;
    private IReadOnlyList<TrailLine> _unshipped = [];
    private long _shippedSeq;

    /// <summary>The trail's id in the fleet log, once its first record exists.</summary>
    public string? TrailId { get; private set; }

    /// <summary>The last trail record committed to the fleet log.</summary>
    public long ShippedSeq => Volatile.Read(ref _shippedSeq);

    /// <summary>Why shipping is stopped, when the trail no longer continues what was shipped; null otherwise.</summary>
    public string? Broken { get; private set; }

    /// <summary>Called for each decision shipped with how long after its record was written it was committed.</summary>
    public Action<TimeSpan>? LagObserved { get; set; }

    /// <summary>
    /// The fleet log as a second anchor, at start-up: the position it recorded for this trail (last seq and hash) must
    /// still be in the local trail, unchanged. A trail cut below it, or rewritten at it, is refused even when every
    /// local checkpoint went with the cut. Returns false when the database cannot be asked now (the shipper checks the
    /// same position again as soon as it can, and stops with <see cref="Broken"/> set if it fails).
    /// </summary>
    /// <param name="localLastSeq">The local trail's last seq after it opened.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <exception cref="AuditTrailCorruptException">The local trail does not hold what the fleet log recorded.</exception>
    public async Task<bool> CheckAnchorAsync(long localLastSeq, CancellationToken cancellationToken)
    {
        if (TrailIdentity.Of(activePath) is not { } trailId)
        {
            return true;
        }

        long seq;
        string hash;
        try
        {
            await using var command = dataSource.CreateCommand("SELECT last_seq, last_hash FROM fleet_trails WHERE trail_id = $1");
            command.Parameters.Add(new() { Value = trailId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return true;
            }

            (seq, hash) = (reader.GetInt64(0), reader.GetString(1));
        }
        catch (Exception e) when (StoreFailures.IsUnavailable(e))
        {
            return false;
        }

        if (seq > localLastSeq)
        {
            throw new AuditTrailCorruptException(activePath, 0, seq,
                $"the fleet decision log recorded this trail up to seq {seq} ({hash[..Math.Min(12, hash.Length)]}…) but the local trail ends at seq {localLastSeq}: records were cut");
        }

        // Reading the one record at the position confirms its hash (and throws if the trail was cut or rewritten there).
        using var tail = new TrailTail(activePath, seq, hash, verifyHashes: false);
        tail.ReadAvailable(1);
        return true;
    }

    /// <summary>Ships until <paramref name="stoppingToken"/> is cancelled; a failed batch is retried, never skipped.</summary>
    public async Task RunAsync(TimeProvider time, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        var backoff = interval;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    var shipped = await ShipAvailableAsync(time, stoppingToken).ConfigureAwait(false);
                    backoff = interval;
                    if (!shipped)
                    {
                        // A trail with no record yet is looked at again soon: its first record names it.
                        await Task.Delay(_tail is null ? TimeSpan.FromTicks(Math.Min(interval.Ticks, FirstRecordPoll.Ticks)) : interval, time, stoppingToken).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (StoreFailures.IsUnavailable(e))
                {
                    LogShippingFailed(logger, StoreFailures.Describe(e));
                    await Task.Delay(backoff, time, stoppingToken).ConfigureAwait(false);
                    backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
                }
                catch (PostgresException e)
                {
                    // Not an outage but a refusal (a constraint, a permission): never skip the batch; resume from the
                    // recorded position after a pause, and say why each time.
                    LogShippingFailed(logger, StoreFailures.Describe(e));
                    Reset();
                    await Task.Delay(MaxBackoff, time, stoppingToken).ConfigureAwait(false);
                }
                catch (AuditTrailCorruptException e)
                {
                    // The trail does not continue what the fleet log holds: never ship over the gap. Retried from the
                    // recorded position, so a repaired trail resumes and a cut one keeps saying so.
                    Broken = e.Message;
                    LogBroken(logger, e.Message);
                    Reset();
                    await Task.Delay(MaxBackoff, time, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Ships everything the trail holds now, for a graceful stop: a pod that is deleted takes nothing unshipped with
    /// it. Bounded by <paramref name="cancellationToken"/>; what it cannot ship stays for the next start.
    /// </summary>
    public async Task DrainAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        try
        {
            while (await ShipAvailableAsync(time, cancellationToken).ConfigureAwait(false))
            {
            }

            LogDrained(logger, ShippedSeq);
        }
        catch (Exception e) when (StoreFailures.IsUnavailable(e) || e is OperationCanceledException or AuditTrailCorruptException)
        {
            LogDrainIncomplete(logger, ShippedSeq, e.GetType().Name);
        }
    }

    /// <summary>Ships one batch (a failed one again, as it was, before anything newer); false when there was nothing to ship.</summary>
    private async Task<bool> ShipAvailableAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _tail ??= await ResumeAsync(cancellationToken).ConfigureAwait(false);
            if (_tail is null)
            {
                return false;
            }

            if (_unshipped.Count == 0)
            {
                _unshipped = _tail.ReadAvailable(batchSize);
            }

            if (_unshipped.Count == 0)
            {
                return false;
            }

            await ShipAsync(_unshipped, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _shippedSeq, _unshipped[^1].Seq);
            ObserveLag(_unshipped, time.GetUtcNow());
            _unshipped = [];
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Closes the trail file held open.</summary>
    public void Dispose()
    {
        _tail?.Dispose();
        _gate.Dispose();
    }

    private void Reset()
    {
        _tail?.Dispose();
        _tail = null;
        _unshipped = [];
    }

    private async Task<TrailTail?> ResumeAsync(CancellationToken cancellationToken)
    {
        TrailId ??= TrailIdentity.Of(activePath);
        if (TrailId is null)
        {
            return null;
        }

        await using var command = dataSource.CreateCommand("SELECT last_seq, last_hash FROM fleet_trails WHERE trail_id = $1");
        command.Parameters.Add(new() { Value = TrailId });
        var (seq, hash) = (0L, string.Empty);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                (seq, hash) = (reader.GetInt64(0), reader.GetString(1));
            }
        }

        Volatile.Write(ref _shippedSeq, seq);
        Broken = null;
        LogResumed(logger, TrailId[..12], seq);
        // This process's start-up verified the trail and wrote what follows: the links are checked, not every hash.
        return new TrailTail(activePath, seq, hash, verifyHashes: false);
    }

    /// <summary>
    /// One batch in one transaction: the trail's position row locked, the decision rows after it copied in (binary
    /// COPY: no SQL per row, no conflict check per row), the position moved to the batch's last record. The position
    /// and the rows commit together, so the position says exactly what is in: a batch retried after a failure or a
    /// kill -9 skips what it finds below it, and adds no second row.
    /// </summary>
    private async Task ShipAsync(IReadOnlyList<TrailLine> records, CancellationToken cancellationToken)
    {
        var last = records[^1];
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        long shippedTo;
        await using (var position = new NpgsqlCommand("SELECT last_seq FROM fleet_trails WHERE trail_id = $1 FOR UPDATE", connection, transaction) { Parameters = { new() { Value = TrailId } } })
        {
            shippedTo = await position.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long seq ? seq : 0;
        }

        if (last.Seq <= shippedTo)
        {
            return;
        }

        var decisions = records.Where(r => r.Seq > shippedTo && r.Type == DecisionEventJson.Type).ToArray();
        if (decisions.Length > 0)
        {
            await using var copy = await connection.BeginBinaryImportAsync(
                "COPY fleet_decisions (decision_id, trail_id, trail_seq, record_hash, decided_at, verdict, policy_id, decision) FROM STDIN (FORMAT BINARY)",
                cancellationToken).ConfigureAwait(false);
            foreach (var record in decisions)
            {
                // The payload goes on as the stored canonical text: no parse into objects and back (docs/benchmarks.md).
                var summary = DecisionSummaryJson.Read(record.Payload.Span);
                await copy.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(summary.DecisionId, NpgsqlDbType.Uuid, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(TrailId!, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(record.Seq, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(record.Hash, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(summary.DecidedAt.UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(DecisionEventJson.VerdictText(summary.Verdict), NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(summary.PolicyId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await copy.WriteAsync(System.Text.Encoding.UTF8.GetString(record.Payload.Span), NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            }

            await copy.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var advance = new NpgsqlCommand("""
            INSERT INTO fleet_trails (trail_id, instance, last_seq, last_hash, updated_at) VALUES ($1, $2, $3, $4, now())
            ON CONFLICT (trail_id) DO UPDATE SET instance = excluded.instance, last_seq = excluded.last_seq, last_hash = excluded.last_hash, updated_at = now()
            """, connection, transaction)
        {
            Parameters = { new() { Value = TrailId }, new() { Value = instance }, new() { Value = last.Seq }, new() { Value = last.Hash } },
        })
        {
            await advance.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private void ObserveLag(IReadOnlyList<TrailLine> records, DateTimeOffset now)
    {
        if (LagObserved is not { } observe)
        {
            return;
        }

        foreach (var record in records)
        {
            if (record.Type == DecisionEventJson.Type)
            {
                observe(now - record.Time);
            }
        }
    }

    [LoggerMessage(140, LogLevel.Warning, "Decision log shipping waits for PostgreSQL: {Reason}")]
    private static partial void LogShippingFailed(ILogger logger, string reason);

    [LoggerMessage(141, LogLevel.Error, "Decision log shipping stopped: the local trail does not continue what was shipped: {Problem}")]
    private static partial void LogBroken(ILogger logger, string problem);

    [LoggerMessage(143, LogLevel.Information, "Decision log drained at stop: shipped through seq {Seq}")]
    private static partial void LogDrained(ILogger logger, long seq);

    [LoggerMessage(144, LogLevel.Warning, "Decision log drain at stop incomplete ({Reason}); shipped through seq {Seq}, the rest ships at the next start")]
    private static partial void LogDrainIncomplete(ILogger logger, long seq, string reason);

    [LoggerMessage(142, LogLevel.Information, "Decision log shipping of trail {TrailId}… resumes after seq {Seq}")]
    private static partial void LogResumed(ILogger logger, string trailId, long seq);
}
