using Pdp.Review.Model;

namespace Pdp.Review.Store;

/// <summary>
/// One decision in <see cref="LocalReviewStore"/>: fixed facts, and a review changed only under
/// <see cref="Gate"/> (held across the durable journal write). Watchers wait on <see cref="WhenChanged"/>.
/// </summary>
internal sealed class LocalEntry(DecisionFacts facts)
{
    private readonly Lock _sync = new();
    private ReviewSnapshot _review = ReviewSnapshot.Initial(facts.Verdict);
    private ApprovalUse? _use;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DecisionFacts Facts { get; } = facts;

    public SemaphoreSlim Gate { get; } = new(1, 1);

    public bool IsPending
    {
        get
        {
            lock (_sync)
            {
                return _review.State == ReviewState.Pending;
            }
        }
    }

    public ReviewView View
    {
        get
        {
            lock (_sync)
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
            lock (_sync)
            {
                return _changed.Task;
            }
        }
    }

    /// <summary>Applies a change already on record at <paramref name="seq"/>, then wakes every watcher.</summary>
    public ReviewView Apply(ReviewChange change, long seq)
    {
        TaskCompletionSource changed;
        ReviewView view;
        lock (_sync)
        {
            (_review, _use) = change.ApplyTo(_review, _use, seq);
            view = new ReviewView(Facts, _review, _use);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
        return view;
    }
}
