using Npgsql;
using Pdp.Audit;
using Pdp.Audit.Verification;

namespace Pdp.Cli.FleetLog;

/// <summary>
/// Compares a local trail with what its shipper put in the fleet log, while the trail is verified (one pass): the
/// record at <c>fleet_trails.last_seq</c> must be in the trail with <c>last_hash</c>, and every <c>fleet_decisions</c>
/// row of the trail must have the <c>record_hash</c> of the local record at its <c>trail_seq</c>. The rows are streamed
/// in trail_seq order alongside the trail's records.
/// </summary>
internal sealed class ShippedTrailCheck : IDisposable
{
    private readonly NpgsqlCommand? _command;
    private readonly NpgsqlDataReader? _decisions;
    private (long Seq, string Hash)? _next;

    private ShippedTrailCheck(string? trailId, long? shippedSeq, string? shippedHash, NpgsqlCommand? command, NpgsqlDataReader? decisions)
    {
        TrailId = trailId;
        ShippedSeq = shippedSeq;
        ShippedHash = shippedHash;
        _command = command;
        _decisions = decisions;
    }

    /// <summary>The local trail's id in the fleet log (the hash of its first record); null while it has no record.</summary>
    public string? TrailId { get; }

    /// <summary><c>fleet_trails.last_seq</c>; null when the fleet log has no such trail.</summary>
    public long? ShippedSeq { get; }

    /// <summary><c>fleet_trails.last_hash</c>.</summary>
    public string? ShippedHash { get; }

    /// <summary>Shipped decisions whose record hash equals the local record's.</summary>
    public long DecisionsChecked { get; private set; }

    /// <summary>The mismatch found while checking records, if any.</summary>
    public string? Problem { get; private set; }

    /// <summary>A database failure while streaming the shipped decisions: the comparison is not a verdict then.</summary>
    public Exception? DatabaseFailure { get; private set; }

    /// <summary>Looks the trail up in <c>fleet_trails</c> and, if it is there, opens its <c>fleet_decisions</c> rows.</summary>
    public static ShippedTrailCheck Open(NpgsqlConnection connection, NpgsqlTransaction transaction, string? trailId)
    {
        if (trailId is null)
        {
            return new ShippedTrailCheck(null, null, null, null, null);
        }

        long? seq = null;
        string? hash = null;
        using (var position = new NpgsqlCommand("SELECT last_seq, last_hash FROM fleet_trails WHERE trail_id = $1", connection, transaction))
        {
            position.Parameters.Add(new() { Value = trailId });
            using var reader = position.ExecuteReader();
            if (reader.Read())
            {
                (seq, hash) = (reader.GetInt64(0), reader.GetString(1));
            }
        }

        var command = new NpgsqlCommand("SELECT trail_seq, record_hash FROM fleet_decisions WHERE trail_id = $1 ORDER BY trail_seq", connection, transaction);
        command.Parameters.Add(new() { Value = trailId });
        var check = new ShippedTrailCheck(trailId, seq, hash, command, command.ExecuteReader());
        check.Advance();
        return check;
    }

    /// <summary>Checks one verified local record, in trail order; returns the mismatch, or null.</summary>
    public string? Check(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        try
        {
            if (_next is { } row && row.Seq < record.Seq)
            {
                // The local trail is contiguous from 1, so only a row below seq 1 can be passed by.
                return Fail($"fleet_decisions holds trail_seq {row.Seq} of this trail, which is no record's seq");
            }

            if (_next is { } same && same.Seq == record.Seq)
            {
                if (!string.Equals(same.Hash, record.Hash, StringComparison.Ordinal))
                {
                    return Fail(Rewritten(record, same.Hash));
                }

                DecisionsChecked++;
                Advance();
            }

            return record.Seq == ShippedSeq && !string.Equals(record.Hash, ShippedHash, StringComparison.Ordinal)
                ? Fail(Rewritten(record, ShippedHash!))
                : null;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            DatabaseFailure = e;
            return Fail("the fleet log could not be read");
        }
    }

    /// <summary>After the whole trail verified: whether anything was shipped beyond its end (records cut from it).</summary>
    public string? Finish(AuditVerificationResult local)
    {
        ArgumentNullException.ThrowIfNull(local);
        if (ShippedSeq is { } shipped && shipped > local.LastSeq)
        {
            return Fail(Cut(local.LastSeq, shipped, ShippedHash!));
        }

        return _next is { } row ? Fail(Cut(local.LastSeq, row.Seq, row.Hash)) : null;
    }

    public void Dispose()
    {
        _decisions?.Dispose();
        _command?.Dispose();
    }

    private static string Rewritten(AuditRecord record, string shippedHash) =>
        $"record {record.Seq} differs from the one shipped to the fleet log (hash {ReviewChainCheck.Short(record.Hash)}, shipped {ReviewChainCheck.Short(shippedHash)}): the trail was rewritten";

    private static string Cut(long localLast, long shippedSeq, string shippedHash) =>
        $"the local trail ends at seq {localLast} but seq {shippedSeq} (hash {ReviewChainCheck.Short(shippedHash)}) was shipped to the fleet log: records were cut";

    private string Fail(string problem)
    {
        Problem ??= problem;
        return problem;
    }

    private void Advance() =>
        _next = _decisions is not null && _decisions.Read() ? (_decisions.GetInt64(0), _decisions.GetString(1)) : null;
}
