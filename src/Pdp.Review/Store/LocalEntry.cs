using System.Text.Json.Nodes;
using Pdp.Audit.Format;
using Pdp.Review.Events;
using Pdp.Review.Model;

namespace Pdp.Review.Store;

/// <summary>
/// One decision in <see cref="LocalReviewStore"/>. A pending review keeps its parsed facts (the queue and the expiry
/// sweep read them); every other decision keeps only its recorded payload — the trail's own bytes, shared with the
/// trail state — and is parsed again when someone asks for it, so twenty thousand retained decisions cost their
/// bytes and not a document each. The review changes only under <see cref="Gate"/> (held across the durable journal
/// write); watchers wait on <see cref="WhenChanged"/>. Gate and completion exist only once somebody needs them.
/// </summary>
internal sealed class LocalEntry
{
    private readonly Lock _sync = new();
    private readonly ReadOnlyMemory<byte> _payload;
    private DecisionFacts? _facts;
    private ReviewSnapshot _review;
    private ApprovalUse? _use;
    private TaskCompletionSource? _changed;
    private SemaphoreSlim? _gate;

    public LocalEntry(DecisionFacts facts)
    {
        DecisionId = facts.DecisionId;
        _payload = facts.RecordedPayload;
        _review = ReviewSnapshot.Initial(facts.Verdict);
        _facts = _payload.IsEmpty || _review.State == ReviewState.Pending ? facts : null;
    }

    /// <summary>A decision read back from the trail, by its head alone unless it awaits a review.</summary>
    public LocalEntry(DecisionHead head, ReadOnlyMemory<byte> payload)
    {
        DecisionId = head.DecisionId;
        _payload = payload;
        _review = ReviewSnapshot.Initial(head.Verdict);
        _facts = _review.State == ReviewState.Pending ? Parse(payload) : null;
    }

    public string DecisionId { get; }

    public DecisionFacts Facts
    {
        get
        {
            lock (_sync)
            {
                return _facts ?? Parse(_payload);
            }
        }
    }

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
                return new ReviewView(_facts ?? Parse(_payload), _review, _use);
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
                _changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return _changed.Task;
            }
        }
    }

    /// <summary>Applies a change already on record at <paramref name="seq"/>, then wakes every watcher.</summary>
    public ReviewView Apply(ReviewChange change, long seq)
    {
        TaskCompletionSource? changed;
        ReviewView view;
        lock (_sync)
        {
            (_review, _use) = change.ApplyTo(_review, _use, seq);
            var facts = _facts ?? Parse(_payload);
            view = new ReviewView(facts, _review, _use);
            if (_review.State != ReviewState.Pending && !_payload.IsEmpty)
            {
                // Settled: the queue no longer needs the parsed form.
                _facts = null;
            }

            changed = _changed;
            _changed = null;
        }

        changed?.TrySetResult();
        return view;
    }

    private static DecisionFacts Parse(ReadOnlyMemory<byte> payload) =>
        DecisionEventJson.Read(JsonNode.Parse(payload.Span, documentOptions: CanonicalJson.ReaderOptions)!.AsObject()) with { RecordedPayload = payload };
}
