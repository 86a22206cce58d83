using System.Data;
using System.Text.Json.Nodes;
using Npgsql;
using Pdp.Audit.Format;
using Pdp.Evidence.Collection;
using Pdp.Review.Events;

namespace Pdp.Cli.FleetLog;

/// <summary>
/// The evidence report's records from the fleet log, in one snapshot: the review chain (<c>review_events</c>), verified
/// as <c>audit verify --database</c> verifies it, and every instance's shipped decisions (<c>fleet_decisions</c>) made
/// before the period's end. Refusals and policy loads stay in each instance's own trail; the fleet log has none.
/// </summary>
internal static class FleetEvidence
{
    public static ChainState Read(NpgsqlConnection connection, NpgsqlTransaction transaction, EvidenceCollector collector, DateTimeOffset to)
    {
        // Decisions first: the review events are attributed through them.
        using (var command = new NpgsqlCommand("SELECT decided_at, decision FROM fleet_decisions WHERE decided_at < $1 ORDER BY decided_at, trail_id, trail_seq", connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = to.UtcDateTime });
            using var rows = command.ExecuteReader(CommandBehavior.SequentialAccess);
            while (rows.Read())
            {
                var at = new DateTimeOffset(rows.GetDateTime(0), TimeSpan.Zero);
                var payload = JsonNode.Parse(rows.GetString(1), documentOptions: CanonicalJson.ReaderOptions) as JsonObject ?? [];
                collector.Add(DecisionEventJson.Type, at, payload);
            }
        }

        var chain = ReviewChainCheck.Run(connection, transaction, collector.Add);
        var problem = !chain.Lines.Ok
            ? TrailCheck.Location(chain.Lines)
            : chain.HeadProblem is { } head ? $"{ReviewChainCheck.HeadSource}: seq {chain.HeadSeq}: {head}" : null;
        return new ChainState(chain.Ok, ReviewChainCheck.Source, problem, 1, chain.Lines.LastSeq, chain.Lines.RecordsChecked, chain.Lines.LastHash, null);
    }
}
