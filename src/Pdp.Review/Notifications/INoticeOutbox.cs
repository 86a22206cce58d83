namespace Pdp.Review.Notifications;

/// <summary>A notification waiting in an outbox, as one dispatcher claimed it.</summary>
/// <param name="Id">Its place in the outbox.</param>
/// <param name="Notice">What it tells.</param>
/// <param name="Attempts">Delivery rounds tried so far.</param>
/// <param name="DeliveredTo">Endpoints (by index) that already took it: a retry goes only to the others.</param>
/// <param name="EnqueuedAt">When it entered the outbox.</param>
public sealed record OutboxNotice(long Id, ReviewNotice Notice, int Attempts, IReadOnlySet<int> DeliveredTo, DateTimeOffset EnqueuedAt);

/// <summary>How a notification left the outbox.</summary>
public enum NoticeOutcome
{
    /// <summary>Every endpoint it was meant for took it.</summary>
    Delivered,

    /// <summary>Given up after <c>Pdp:Notify:GiveUpAfterSeconds</c>; counted, never silently.</summary>
    Abandoned,
}

/// <summary>
/// Where notifications wait until delivered, durably: a restart or a crash loses none. Filled by the review events
/// themselves (the local trail, or the shared store's transaction), never by the decision path; emptied by one
/// dispatcher per instance, and with a shared store each notification is claimed by one instance of the fleet.
/// </summary>
public interface INoticeOutbox
{
    /// <summary>Up to <paramref name="max"/> notifications due now, claimed for this instance until finished, retried or their lease runs out.</summary>
    Task<IReadOnlyList<OutboxNotice>> ClaimAsync(int max, CancellationToken cancellationToken);

    /// <summary>Takes a claimed notification out of the outbox.</summary>
    Task FinishAsync(OutboxNotice notice, NoticeOutcome outcome, CancellationToken cancellationToken);

    /// <summary>Puts a claimed notification back, due again after <paramref name="delay"/>, remembering who took it already.</summary>
    Task RetryAsync(OutboxNotice notice, IReadOnlySet<int> deliveredTo, TimeSpan delay, CancellationToken cancellationToken);

    /// <summary>Notifications waiting now, as last seen (read at every metrics scrape: never blocks).</summary>
    long Depth { get; }
}
