using Pdp.Review.Events;
using Pdp.Review.Model;

namespace Pdp.Review.Store;

/// <summary>
/// One decision in <see cref="LocalReviewStore"/>: its head (what the queue, the expiry sweep and the metrics read)
/// and its recorded payload — the trail's own bytes, shared with the trail state — parsed again only when someone
/// asks for the decision, so twenty thousand retained decisions cost their bytes and not a document each. Facts
/// are kept parsed only for a decision that was never recorded (tests, or a store fed directly). The review changes
/// only under <see cref="Gate"/> (held across the durable journal write); watchers wait on <see cref="WhenChanged"/>.
/// Gate and completion exist only once somebody needs them. The review's short critical sections lock the entry
/// itself: it is internal and nothing else can reach it, and a lock object per retained decision was 40 bytes more
/// for the young collections to copy.
/// </summary>
internal sealed class LocalEntry
{
    private readonly ReadOnlyMemory<byte> _payload;
    private readonly DecisionFacts? _facts;
    private ReviewSnapshot _review;
    private ApprovalUse? _use;
    private TaskCompletionSource? _changed;
    private SemaphoreSlim? _gate;

    public LocalEntry(DecisionFacts facts)
    {
        Head = new DecisionHead(facts.DecisionId, facts.DecidedAt, facts.Verdict, facts.RequestDigest.Length > 0, facts.PolicyId, facts.ApproverGroup, facts.ExpiresAt, facts.EscalationGroup);
        _payload = facts.RecordedPayload;
        _review = ReviewSnapshot.Initial(facts.Verdict);
        _facts = _payload.IsEmpty ? facts : null;
    }

    /// <summary>A decision read back from the trail: its head now, the rest when asked for.</summary>
    public LocalEntry(DecisionHead head, ReadOnlyMemory<byte> payload)
    {
        Head = head;
        _payload = payload;
        _review = ReviewSnapshot.Initial(head.Verdict);
    }

    /// <summary>The fields the store queries by, fixed at decision time.</summary>
    public DecisionHead Head { get; }

    public string DecisionId => Head.DecisionId;

    public DecisionFacts Facts => _facts ?? Parse(_payload);

    public SemaphoreSlim Gate
    {
        get
        {
            if (Volatile.Read(ref _gate) is { } gate)
            {
                return gate;
            }

            var created = new SemaphoreSlim(1, 1);
            if (Interlocked.CompareExchange(ref _gate, created, null) is { } other)
            {
                created.Dispose();
                return other;
            }

            return created;
        }
    }

    /// <summary>Whether the review has been escalated already.</summary>
    public bool IsEscalated
    {
        get
        {
            lock (this)
            {
                return _review.EscalatedAt is not null;
            }
        }
    }

    public bool IsPending
    {
        get
        {
            lock (this)
            {
                return _review.State == ReviewState.Pending;
            }
        }
    }

    public ReviewView View
    {
        get
        {
            lock (this)
            {
                return new ReviewView(Facts, _review, _use);
            }
        }
    }

    /// <summary>Completes at the next change of review state.</summary>
    public Task WhenChanged
    {
        get
        {
            lock (this)
            {
                _changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return _changed.Task;
            }
        }
    }

    /// <summary>Applies a change already on record at <paramref name="seq"/>, then wakes every watcher.</summary>
    /// <param name="change">The change.</param>
    /// <param name="seq">Where it is on record.</param>
    /// <param name="facts">The decision, when the caller has it parsed already; read again otherwise.</param>
    public ReviewView Apply(ReviewChange change, long seq, DecisionFacts? facts = null)
    {
        TaskCompletionSource? changed;
        ReviewView view;
        lock (this)
        {
            (_review, _use) = change.ApplyTo(_review, _use, seq);
            view = new ReviewView(facts ?? Facts, _review, _use);
            changed = _changed;
            _changed = null;
        }

        changed?.TrySetResult();
        return view;
    }

    private static DecisionFacts Parse(ReadOnlyMemory<byte> payload) => DecisionEventJson.Read(payload);
}
