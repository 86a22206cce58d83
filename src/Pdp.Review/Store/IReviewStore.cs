using Pdp.Review.Model;

namespace Pdp.Review.Store;

/// <summary>
/// Decides the change to make from the review as it stands (null: nothing to change). May throw
/// <see cref="Rules.ReviewRefusedException"/>; the store then changes nothing.
/// </summary>
public delegate ReviewChange? ReviewChangePlan(ReviewView current);

/// <summary>The review after a change, and the change as recorded (null when the plan had nothing to do).</summary>
public sealed record ReviewChangeResult(ReviewView View, ReviewChange? Applied, long Seq);

/// <summary>
/// Where decisions and their review state live: <see cref="LocalReviewStore"/> in memory (rebuilt from the
/// local trail), or a shared store (PostgreSQL) so every instance reaches every decision. Each change is
/// made durable by the store before it is applied or returned, and changes to one decision are serialised
/// across everything sharing the store.
/// </summary>
public interface IReviewStore
{
    /// <summary><c>local</c> or <c>postgres</c>, for logs and metrics.</summary>
    string Kind { get; }

    /// <summary>
    /// True when other instances share this store: a require-human decision is then committed here before
    /// it is written to the local trail or answered. A local store is given decisions after the trail has them.
    /// </summary>
    bool SharesReviews { get; }

    /// <summary>
    /// Takes a new decision. A shared store commits a require-human decision before this completes, so
    /// any instance can serve its review; other verdicts are kept without waiting on the network.
    /// </summary>
    /// <exception cref="ReviewStoreUnavailableException">A require-human decision could not be committed.</exception>
    ValueTask AddAsync(DecisionFacts decision, CancellationToken cancellationToken);

    /// <summary>The decision and its review now; null when no decision has that id.</summary>
    ValueTask<ReviewView?> FindAsync(string decisionId, CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="plan"/> on the decision's review while holding it exclusively, makes the change
    /// durable (the journal, and for a shared store the shared chain), applies it, and wakes its watchers.
    /// </summary>
    /// <returns>Null when no decision has that id.</returns>
    Task<ReviewChangeResult?> ChangeAsync(string decisionId, ReviewChangePlan plan, CancellationToken cancellationToken);

    /// <summary>The decision now, then after every change, ending once its review can change no more.</summary>
    IAsyncEnumerable<ReviewView> WatchAsync(string decisionId, CancellationToken cancellationToken);

    /// <summary>Ids of pending reviews whose deadline is at or before <paramref name="now"/>, soonest first.</summary>
    ValueTask<IReadOnlyList<string>> DueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Ids of pending reviews with an escalation group, not yet escalated, that have reached <paramref name="fraction"/>
    /// of their window (decided + fraction × (expires − decided)) at <paramref name="now"/>, soonest first.
    /// </summary>
    ValueTask<IReadOnlyList<string>> EscalationDueAsync(DateTimeOffset now, double fraction, int limit, CancellationToken cancellationToken);

    /// <summary>Pending reviews per deciding policy, as last known (read at every metrics scrape: never blocks).</summary>
    IReadOnlyDictionary<string, int> PendingCounts();

    /// <summary>
    /// Pending reviews whose approver group is one of <paramref name="groups"/> (compared ignoring case), soonest
    /// deadline first, at most <paramref name="limit"/>: a reviewer's queue.
    /// </summary>
    ValueTask<IReadOnlyList<ReviewView>> PendingAsync(IReadOnlyCollection<string> groups, int limit, CancellationToken cancellationToken);

    /// <summary>Every new require-human decision and every review change, whichever instance made it (for live queues).</summary>
    ReviewFeed Feed { get; }
}

/// <summary>
/// The local, hash-chained record of review changes (the server's audit trail). Returns the sequence
/// number once the record is durable.
/// </summary>
public interface IReviewJournal
{
    ValueTask<long> RecordAsync(DecisionFacts decision, ReviewChange change, CancellationToken cancellationToken);
}

/// <summary>The shared review store cannot be reached: nothing was changed or committed.</summary>
public sealed class ReviewStoreUnavailableException : Exception
{
    public ReviewStoreUnavailableException()
        : this("the review store is unavailable")
    {
    }

    public ReviewStoreUnavailableException(string message)
        : base(message)
    {
    }

    public ReviewStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
