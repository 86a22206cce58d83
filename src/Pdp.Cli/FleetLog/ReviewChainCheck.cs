using System.Data;
using Npgsql;
using Pdp.Audit;
using Pdp.Audit.Chain;
using Pdp.Audit.Verification;

namespace Pdp.Cli.FleetLog;

/// <summary>What <see cref="ReviewChainCheck.Run"/> found: the chain's lines as verified, and the head's agreement with them.</summary>
/// <param name="Lines">The result of verifying every <c>review_events</c> line, in seq order.</param>
/// <param name="HeadSeq"><c>review_chain_head.seq</c>.</param>
/// <param name="HeadHash"><c>review_chain_head.hash</c>.</param>
/// <param name="HeadProblem">Why the head does not name the last event; null when it does (or when a line failed first).</param>
internal sealed record ReviewChainResult(AuditVerificationResult Lines, long HeadSeq, string HeadHash, string? HeadProblem)
{
    public bool Ok => Lines.Ok && HeadProblem is null;
}

/// <summary>
/// Verifies the fleet's review chain in <c>review_events</c> with the trail's own verifier, streaming the rows in seq
/// order: every line's hash and exact form, seq contiguous from 1, prev_hash links; each row's seq, type and hash
/// columns equal its line's; and <c>review_chain_head</c> names the last row.
/// </summary>
internal static class ReviewChainCheck
{
    /// <summary>The source named for a bad line: <c>review_events:N</c>, N counting rows in seq order from 1.</summary>
    public const string Source = "review_events";

    public const string HeadSource = "review_chain_head";

    /// <summary>Reads the head and then the rows inside <paramref name="transaction"/>, so both come from one snapshot.</summary>
    public static ReviewChainResult Run(NpgsqlConnection connection, NpgsqlTransaction transaction) => Run(connection, transaction, null);

    /// <summary>As <see cref="Run(NpgsqlConnection, NpgsqlTransaction)"/>, handing each verified event to <paramref name="read"/> too (the evidence report).</summary>
    public static ReviewChainResult Run(NpgsqlConnection connection, NpgsqlTransaction transaction, Func<AuditRecord, string?>? read)
    {
        long headSeq;
        string headHash;
        using (var head = new NpgsqlCommand("SELECT seq, hash FROM review_chain_head WHERE id = 1", connection, transaction))
        using (var reader = head.ExecuteReader())
        {
            if (!reader.Read())
            {
                return new ReviewChainResult(new AuditVerificationResult(), 0, string.Empty, "review_chain_head has no row: the chain's head is missing");
            }

            (headSeq, headHash) = (reader.GetInt64(0), reader.GetString(1));
        }

        using var rows = new NpgsqlCommand("SELECT seq, type, hash, line FROM review_events ORDER BY seq", connection, transaction);
        using var events = rows.ExecuteReader(CommandBehavior.SequentialAccess);
        var current = (Seq: 0L, Type: string.Empty, Hash: string.Empty);

        // The verifier checks each record before it asks for the next line, so `current` is still that record's row.
        IEnumerable<string> Lines()
        {
            while (events.Read())
            {
                current = (events.GetInt64(0), events.GetString(1), events.GetString(2));
                yield return events.GetString(3);
            }
        }

        var lines = AuditVerifier.VerifyLines(Lines(), Source, record => Columns(record, current) ?? read?.Invoke(record));
        return new ReviewChainResult(lines, headSeq, headHash, lines.Ok ? HeadProblem(lines, headSeq, headHash) : null);
    }

    private static string? Columns(AuditRecord record, (long Seq, string Type, string Hash) row)
    {
        if (row.Seq != record.Seq)
        {
            return $"the row's seq column is {row.Seq} but its line is seq {record.Seq}";
        }

        if (!string.Equals(row.Type, record.Type, StringComparison.Ordinal))
        {
            return $"the row's type column is \"{row.Type}\" but its line's type is \"{record.Type}\"";
        }

        return string.Equals(row.Hash, record.Hash, StringComparison.Ordinal)
            ? null
            : $"the row's hash column {Short(row.Hash)} is not its line's hash {Short(record.Hash)}";
    }

    private static string? HeadProblem(AuditVerificationResult lines, long headSeq, string headHash)
    {
        var lastHash = lines.LastHash ?? ChainLine.GenesisHash;
        if (headSeq > lines.LastSeq)
        {
            return $"the head is at seq {headSeq} ({Short(headHash)}) but the last review event is seq {lines.LastSeq}: events were cut from the end";
        }

        if (headSeq < lines.LastSeq)
        {
            return $"the head is at seq {headSeq} but review events go on to seq {lines.LastSeq}: the head was moved back";
        }

        return string.Equals(headHash, lastHash, StringComparison.Ordinal)
            ? null
            : $"the head's hash {Short(headHash)} is not seq {lines.LastSeq}'s ({Short(lastHash)}): the head or the last event was rewritten";
    }

    internal static string Short(string hash) => hash.Length > 12 ? hash[..12] + "…" : hash;
}
