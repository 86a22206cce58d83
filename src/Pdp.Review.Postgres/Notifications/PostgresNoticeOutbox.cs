using System.Text.Json.Nodes;
using Npgsql;
using Pdp.Review.Notifications;

namespace Pdp.Review.Postgres.Notifications;

/// <summary>
/// The fleet's notification outbox, the <c>notify_outbox</c> table. Rows are written by the review store in the
/// transaction of the review event they tell of (<see cref="EnqueueAsync"/>), so a committed event always has its
/// notification and a rolled-back one never does. Any instance claims due rows with <c>FOR UPDATE SKIP LOCKED</c>,
/// taking a lease: while it holds it no other instance delivers them, and if it dies the rows are claimable again once
/// the lease has passed. Times are the database's, so replicas with skewed clocks agree on leases and due times.
/// </summary>
public sealed class PostgresNoticeOutbox(NpgsqlDataSource dataSource, string instance, TimeSpan lease) : INoticeOutbox
{
    private const string ClaimSql = """
        UPDATE notify_outbox o SET claimed_by = $1, claimed_until = now() + $2
        FROM (SELECT id FROM notify_outbox
              WHERE finished_at IS NULL AND next_attempt_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
              ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) due
        WHERE o.id = due.id
        RETURNING o.id, o.notice::text, o.attempts, o.delivered_to, o.enqueued_at
        """;

    // Finished rows are kept a day (who delivered what, for an operator's question), then deleted, so the table stays
    // bounded by a day of review events plus what is still waiting (itself bounded by GiveUpAfterSeconds).
    private const int PruneEveryClaims = 300;

    private long _depth;
    private int _claims;

    /// <inheritdoc/>
    public long Depth => Interlocked.Read(ref _depth);

    /// <summary>Writes the notification in the caller's transaction; a second one with the same id is ignored.</summary>
    public static async Task EnqueueAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, ReviewNotice notice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notice);
        await using var command = new NpgsqlCommand("INSERT INTO notify_outbox (event_id, decision_id, notice) VALUES ($1, $2, $3::jsonb) ON CONFLICT (event_id) DO NOTHING", connection, transaction)
        {
            Parameters = { new() { Value = notice.Id }, new() { Value = Guid.Parse(notice.DecisionId) }, new() { Value = notice.ToJson().ToJsonString() } },
        };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<OutboxNotice>> ClaimAsync(int max, CancellationToken cancellationToken)
    {
        var claimed = new List<OutboxNotice>();
        await using (var command = dataSource.CreateCommand(ClaimSql))
        {
            command.Parameters.Add(new() { Value = instance });
            command.Parameters.Add(new() { Value = lease });
            command.Parameters.Add(new() { Value = max });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var notice = ReviewNotice.FromJson(JsonNode.Parse(reader.GetString(1))!.AsObject());
                claimed.Add(new OutboxNotice(reader.GetInt64(0), notice, reader.GetInt32(2), reader.GetFieldValue<int[]>(3).ToHashSet(), reader.GetFieldValue<DateTimeOffset>(4)));
            }
        }

        await using (var count = dataSource.CreateCommand("SELECT count(*) FROM notify_outbox WHERE finished_at IS NULL"))
        {
            Interlocked.Exchange(ref _depth, (long)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!);
        }

        if (Interlocked.Increment(ref _claims) % PruneEveryClaims == 0)
        {
            await using var prune = dataSource.CreateCommand("DELETE FROM notify_outbox WHERE finished_at < now() - interval '1 day'");
            await prune.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return claimed;
    }

    /// <inheritdoc/>
    public async Task FinishAsync(OutboxNotice notice, NoticeOutcome outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notice);
        await using var command = dataSource.CreateCommand("UPDATE notify_outbox SET finished_at = now(), outcome = $3, claimed_by = NULL, claimed_until = NULL WHERE id = $1 AND claimed_by = $2");
        command.Parameters.Add(new() { Value = notice.Id });
        command.Parameters.Add(new() { Value = instance });
        command.Parameters.Add(new() { Value = outcome == NoticeOutcome.Delivered ? "delivered" : "abandoned" });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task RetryAsync(OutboxNotice notice, IReadOnlySet<int> deliveredTo, TimeSpan delay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notice);
        ArgumentNullException.ThrowIfNull(deliveredTo);
        await using var command = dataSource.CreateCommand("UPDATE notify_outbox SET attempts = attempts + 1, delivered_to = $3, next_attempt_at = now() + $4, claimed_by = NULL, claimed_until = NULL WHERE id = $1 AND claimed_by = $2");
        command.Parameters.Add(new() { Value = notice.Id });
        command.Parameters.Add(new() { Value = instance });
        command.Parameters.Add(new() { Value = deliveredTo.Order().ToArray() });
        command.Parameters.Add(new() { Value = delay });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
