using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using Pdp.Audit.Chain;
using Pdp.Review.Events;
using Pdp.Review.Model;
using Pdp.Review.Notifications;
using Pdp.Review.Postgres.Notifications;
using Pdp.Review.Store;

namespace Pdp.Review.Postgres.Store;

/// <summary>
/// Review state shared by every instance on one PostgreSQL database. A require-human decision is committed (with
/// its <c>decision</c> event in the fleet's review chain) before it is answered; every change — disposition, expiry,
/// approval use — runs under the decision row's lock (<c>SELECT … FOR UPDATE</c>), so it settles exactly once
/// whichever instance records it, is appended to the chain and NOTIFYs watchers everywhere in the same transaction.
/// Allow and deny decisions never wait on the network: they reach the database through the fleet decision log
/// (the decision log shipper) and, until then, are served from this instance's memory. With <c>outbox</c> on, each review
/// event that reviewers are told of also writes its notification to <c>notify_outbox</c> in the same transaction.
/// </summary>
public sealed class PostgresReviewStore(NpgsqlDataSource dataSource, IReviewJournal journal, ReviewNotifications notifications, string instance, int recentCapacity, Action<string>? copyFailed = null, bool outbox = false) : IReviewStore
{
    // A reviewer's queue: the pending rows of their groups (compared ignoring case; an escalated review is in its
    // escalation group's queue too), soonest deadline first.
    private const string PendingSql = """
        SELECT d.decision::text, coalesce(array_agg(e.line ORDER BY e.seq) FILTER (WHERE e.seq IS NOT NULL), '{}')
        FROM review_decisions d
        LEFT JOIN review_events e ON e.decision_id = d.decision_id AND e.type <> 'decision'
        WHERE d.state = 'pending' AND (lower(d.approver_group) = ANY($1) OR (d.escalated_at IS NOT NULL AND lower(d.escalation_group) = ANY($1)))
        GROUP BY d.decision_id
        ORDER BY min(d.expires_at) NULLS LAST, min(d.decided_at)
        LIMIT $2
        """;

    private readonly RecentDecisions _recent = new(recentCapacity);
    private volatile IReadOnlyDictionary<string, int> _pending = new Dictionary<string, int>();
    private volatile bool _reachable = true;

    /// <inheritdoc/>
    public string Kind => "postgres";

    /// <inheritdoc/>
    public bool SharesReviews => true;

    /// <summary>Whether the last operation or probe reached the database.</summary>
    public bool Reachable => _reachable;

    /// <inheritdoc/>
    public async ValueTask AddAsync(DecisionFacts decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        if (decision.Verdict != DecisionVerdict.RequireHuman)
        {
            _recent.Add(decision);
            return;
        }

        await StoreFailures.GuardAsync("commit of a require-human decision", async () =>
        {
            var payload = DecisionEventJson.Write(decision, []);
            payload["instance"] = instance;
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await InsertDecisionAsync(connection, transaction, decision, payload, cancellationToken).ConfigureAwait(false);
            await ReviewChain.AppendAsync(connection, transaction, Guid.Parse(decision.DecisionId), DecisionEventJson.Type, string.Empty, instance, payload, decision.DecidedAt, cancellationToken).ConfigureAwait(false);
            if (outbox && ReviewNotice.Opened(decision) is { } opened)
            {
                await PostgresNoticeOutbox.EnqueueAsync(connection, transaction, opened, cancellationToken).ConfigureAwait(false);
            }

            // Reviewers' queues on every instance learn of the new review from the same notification a change sends.
            await NotifyAsync(connection, transaction, decision.DecisionId, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }, Seen).ConfigureAwait(false);
        notifications.Wake(decision.DecisionId);
    }

    /// <inheritdoc/>
    public ReviewFeed Feed => notifications.Feed;

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<ReviewView>> PendingAsync(IReadOnlyCollection<string> groups, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (groups.Count == 0)
        {
            return [];
        }

        // One round trip: the pending rows of these groups with their events, so the queue shows four-eyes progress
        // without a query per row.
        return await StoreFailures.GuardAsync("read of a review queue", async () =>
        {
            await using var command = dataSource.CreateCommand(PendingSql);
            command.Parameters.Add(new() { Value = groups.Select(g => g.ToLowerInvariant()).Distinct().ToArray() });
            command.Parameters.Add(new() { Value = limit });
            var queue = new List<ReviewView>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var facts = DecisionEventJson.Read(JsonNode.Parse(reader.GetString(0))!.AsObject());
                var (review, use) = Replay(facts, reader.GetFieldValue<string[]>(1));
                queue.Add(new ReviewView(facts, review, use));
            }

            return (IReadOnlyList<ReviewView>)queue;
        }, Seen).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<ReviewView?> FindAsync(string decisionId, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(decisionId, out var id))
        {
            return null;
        }

        return await StoreFailures.GuardAsync("read of a decision", async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            if (await ReadAsync(connection, null, id, forUpdate: false, cancellationToken).ConfigureAwait(false) is { } reviewed)
            {
                return reviewed;
            }

            // No review row: an allow or deny nobody has changed, from the fleet log or (not shipped yet) from memory.
            var facts = await ReadShippedAsync(connection, null, id, cancellationToken).ConfigureAwait(false) ?? _recent.Find(decisionId);
            return facts is null ? null : new ReviewView(facts, ReviewSnapshot.Initial(facts.Verdict), null);
        }, Seen).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<ReviewChangeResult?> ChangeAsync(string decisionId, ReviewChangePlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!Guid.TryParse(decisionId, out var id))
        {
            return null;
        }

        var result = await StoreFailures.GuardAsync("review change", async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var current = await ReadAsync(connection, transaction, id, forUpdate: true, cancellationToken).ConfigureAwait(false);
            if (current is null)
            {
                // An allow or deny decision gets its review row when something first changes it (a reversal, say).
                var facts = await ReadShippedAsync(connection, transaction, id, cancellationToken).ConfigureAwait(false) ?? _recent.Find(decisionId);
                if (facts is null)
                {
                    return null;
                }

                var payload = DecisionEventJson.Write(facts, []);
                payload["instance"] = instance;
                await InsertDecisionAsync(connection, transaction, facts, payload, cancellationToken, onConflictDoNothing: true).ConfigureAwait(false);
                current = await ReadAsync(connection, transaction, id, forUpdate: true, cancellationToken).ConfigureAwait(false)!;
            }

            if (plan(current!) is not { } change)
            {
                return new ReviewChangeResult(current!, null, 0);
            }

            var (seq, _) = await ReviewChain.AppendAsync(connection, transaction, id, ReviewEventJson.TypeOf(change), change.Reviewer, instance, ReviewEventJson.Write(decisionId, change), change.At, cancellationToken).ConfigureAwait(false);
            var (review, use) = change.ApplyTo(current!.Review, current.ApprovalUse, seq);
            await UpdateAsync(connection, transaction, id, review, use, cancellationToken).ConfigureAwait(false);
            if (outbox && ReviewNotice.Of(current.Decision, change, review) is { } notice)
            {
                await PostgresNoticeOutbox.EnqueueAsync(connection, transaction, notice, cancellationToken).ConfigureAwait(false);
            }

            await NotifyAsync(connection, transaction, decisionId, cancellationToken).ConfigureAwait(false);

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return new ReviewChangeResult(current with { Review = review, ApprovalUse = use }, change, seq);
        }, Seen).ConfigureAwait(false);

        if (result is { Applied: { } applied })
        {
            notifications.Wake(decisionId);
            await CopyToJournalAsync(result.View.Decision, applied).ConfigureAwait(false);
        }

        return result;
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<ReviewView> WatchAsync(string decisionId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            // Subscribe before reading, so a change committed in between still wakes this watcher.
            var changed = notifications.WhenChanged(decisionId);
            if (await FindAsync(decisionId, cancellationToken).ConfigureAwait(false) is not { } view)
            {
                yield break;
            }

            yield return view;
            if (view.Review.State != ReviewState.Pending)
            {
                yield break;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> DueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        IdsAsync("search for expired reviews", "SELECT decision_id FROM review_decisions WHERE state = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT $2", [now.UtcDateTime, limit], cancellationToken);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> EscalationDueAsync(DateTimeOffset now, double fraction, int limit, CancellationToken cancellationToken) =>
        IdsAsync("search for reviews to escalate", """
            SELECT decision_id FROM review_decisions
            WHERE state = 'pending' AND escalation_group <> '' AND escalated_at IS NULL AND expires_at IS NOT NULL
              AND decided_at + (expires_at - decided_at) * $2 <= $1
            ORDER BY decided_at + (expires_at - decided_at) * $2 LIMIT $3
            """, [now.UtcDateTime, fraction, limit], cancellationToken);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, int> PendingCounts() => _pending;

    /// <summary>Checks the database is reachable and refreshes the pending counts the metrics read; false when it is not.</summary>
    public async Task<bool> ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT policy_id, count(*) FROM review_decisions WHERE state = 'pending' GROUP BY policy_id");
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                counts[reader.GetString(0)] = (int)reader.GetInt64(1);
            }

            _pending = counts;
            Seen(true);
            return true;
        }
        catch (Exception e) when (StoreFailures.IsUnavailable(e))
        {
            Seen(false);
            return false;
        }
    }

    private void Seen(bool reachable) => _reachable = reachable;

    /// <summary>The decision ids a sweep query finds (the first column), in its order.</summary>
    private async ValueTask<IReadOnlyList<string>> IdsAsync(string what, string sql, object[] parameters, CancellationToken cancellationToken) =>
        await StoreFailures.GuardAsync(what, async () =>
        {
            await using var command = dataSource.CreateCommand(sql);
            foreach (var parameter in parameters)
            {
                command.Parameters.Add(new() { Value = parameter });
            }

            var ids = new List<string>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ids.Add(reader.GetGuid(0).ToString());
            }

            return (IReadOnlyList<string>)ids;
        }, Seen).ConfigureAwait(false);

    private static async Task NotifyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string decisionId, CancellationToken cancellationToken)
    {
        await using var notify = new NpgsqlCommand("SELECT pg_notify($1, $2)", connection, transaction) { Parameters = { new() { Value = ReviewNotifications.Channel }, new() { Value = decisionId } } };
        await notify.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static (ReviewSnapshot Review, ApprovalUse? Use) Replay(DecisionFacts facts, IEnumerable<string> lines)
    {
        var review = ReviewSnapshot.Initial(facts.Verdict);
        ApprovalUse? use = null;
        foreach (var line in lines)
        {
            var record = ChainLine.Parse(line);
            if (ReviewEventJson.Read(record.Type, record.Payload, record.Seq) is { } change)
            {
                (review, use) = change.ApplyTo(review, use, record.Seq);
            }
        }

        return (review, use);
    }

    private async Task CopyToJournalAsync(DecisionFacts decision, ReviewChange change)
    {
        // The shared chain is the record; the local trail keeps a copy for this instance's auditor. A copy that
        // cannot be written does not undo what the fleet already committed.
        try
        {
            await journal.RecordAsync(decision, change, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or Pdp.Audit.AuditWriteException or InvalidOperationException)
        {
            copyFailed?.Invoke(e.Message);
        }
    }

    private async Task InsertDecisionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, DecisionFacts decision, JsonObject payload, CancellationToken cancellationToken, bool onConflictDoNothing = false)
    {
        var sql = "INSERT INTO review_decisions (decision_id, decided_at, policy_id, approver_group, verdict, expires_at, min_approvals, state, decision, instance, escalation_group) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            + (onConflictDoNothing ? " ON CONFLICT (decision_id) DO NOTHING" : string.Empty);
        await using var command = new NpgsqlCommand(sql, connection, transaction)
        {
            Parameters =
            {
                new() { Value = Guid.Parse(decision.DecisionId) },
                new() { Value = decision.DecidedAt.UtcDateTime },
                new() { Value = decision.PolicyId },
                new() { Value = decision.ApproverGroup },
                new() { Value = DecisionEventJson.VerdictText(decision.Verdict) },
                new() { Value = decision.ExpiresAt is { } e ? e.UtcDateTime : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                new() { Value = decision.MinApprovals },
                new() { Value = StateText(ReviewSnapshot.Initial(decision.Verdict).State) },
                new() { Value = payload.ToJsonString(), NpgsqlDbType = NpgsqlDbType.Jsonb },
                new() { Value = instance },
                new() { Value = decision.EscalationGroup },
            },
        };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task UpdateAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, ReviewSnapshot review, ApprovalUse? use, CancellationToken cancellationToken)
    {
        var useJson = use is null ? null : new JsonObject { ["use_id"] = use.UseId, ["used_at"] = EventTime.Format(use.UsedAt), ["action_digest"] = use.ActionDigest, ["seq"] = use.AuditSeq }.ToJsonString();
        await using var command = new NpgsqlCommand("UPDATE review_decisions SET state = $2, settled_at = $3, approved_digest = $4, approval_use = $5, escalated_at = $6 WHERE decision_id = $1", connection, transaction)
        {
            Parameters =
            {
                new() { Value = id },
                new() { Value = StateText(review.State) },
                new() { Value = review.SettledAt is { } s ? s.UtcDateTime : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                new() { Value = review.ApprovedDigest },
                new() { Value = (object?)useJson ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Jsonb },
                new() { Value = review.EscalatedAt is { } escalated ? escalated.UtcDateTime : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz },
            },
        };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A decision with a review row, its review rebuilt from its events in the chain (the row's columns serve queries).</summary>
    private static async Task<ReviewView?> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid id, bool forUpdate, CancellationToken cancellationToken)
    {
        var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT decision::text FROM review_decisions WHERE decision_id = $1" + (forUpdate ? " FOR UPDATE" : string.Empty)) { Parameters = { new() { Value = id } } },
                new NpgsqlBatchCommand("SELECT line FROM review_events WHERE decision_id = $1 AND type <> 'decision' ORDER BY seq") { Parameters = { new() { Value = id } } },
            },
        };
        await using (batch)
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            var facts = DecisionEventJson.Read(JsonNode.Parse(reader.GetString(0))!.AsObject());
            var review = ReviewSnapshot.Initial(facts.Verdict);
            ApprovalUse? use = null;
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var record = ChainLine.Parse(reader.GetString(0));
                if (ReviewEventJson.Read(record.Type, record.Payload, record.Seq) is { } change)
                {
                    (review, use) = change.ApplyTo(review, use, record.Seq);
                }
            }

            return new ReviewView(facts, review, use);
        }
    }

    private static async Task<DecisionFacts?> ReadShippedAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid id, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT decision::text FROM fleet_decisions WHERE decision_id = $1", connection, transaction) { Parameters = { new() { Value = id } } };
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string json
            ? DecisionEventJson.Read(JsonNode.Parse(json)!.AsObject())
            : null;
    }

    private static string StateText(ReviewState state) => state switch
    {
        ReviewState.NotRequired => "not_required",
        _ => state.ToString().ToLowerInvariant(),
    };
}
