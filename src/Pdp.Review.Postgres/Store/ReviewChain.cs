using System.Text.Json.Nodes;
using Npgsql;
using Pdp.Audit.Chain;

namespace Pdp.Review.Postgres.Store;

/// <summary>
/// The fleet's chain of review events in <c>review_events</c>: each row's <c>line</c> is a record in the trail's
/// exact format, linked to the row before it, so <c>pdp audit verify --database</c> checks it with the trail's
/// verifier. Appends take the chain head's row lock, so they are serialised across every instance; the head moves
/// in the same transaction as the change it records, or not at all.
/// </summary>
internal static class ReviewChain
{
    /// <summary>Appends one event inside <paramref name="transaction"/>; returns its seq and stored time.</summary>
    public static async Task<(long Seq, DateTimeOffset Time)> AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid decisionId, string type, string reviewer, string instance, JsonObject payload, DateTimeOffset now, CancellationToken cancellationToken)
    {
        long seq;
        string prevHash;
        await using (var head = new NpgsqlCommand("SELECT seq, hash FROM review_chain_head WHERE id = 1 FOR UPDATE", connection, transaction))
        await using (var reader = await head.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException("review_chain_head has no row: the schema was not migrated");
            }

            seq = reader.GetInt64(0) + 1;
            prevHash = reader.GetString(1);
        }

        var (line, hash, time) = ChainLine.Encode(seq, now, type, payload, prevHash);
        var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("INSERT INTO review_events (seq, decision_id, type, reviewer, instance, line, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                {
                    Parameters = { new() { Value = seq }, new() { Value = decisionId }, new() { Value = type }, new() { Value = reviewer }, new() { Value = instance }, new() { Value = line }, new() { Value = hash } },
                },
                new NpgsqlBatchCommand("UPDATE review_chain_head SET seq = $1, hash = $2 WHERE id = 1")
                {
                    Parameters = { new() { Value = seq }, new() { Value = hash } },
                },
            },
        };
        await using (batch)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return (seq, time);
    }
}
