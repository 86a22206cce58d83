using System.Text.Json.Nodes;
using Pdp.Audit.Checkpoints;
using Pdp.Review.Events;
using Pdp.Review.Model;

namespace Pdp.Review.Checkpoints;

/// <summary>
/// What start-up rebuilds from the trail, kept from the records themselves so a checkpoint stores it exactly: the
/// decisions the local review store keeps (every pending one, and the newest <c>retain</c>) with their review events,
/// and every decision whose request id is still in the idempotency window. Each is kept as its trail payload, so a
/// checkpoint's state replays through the same code as the trail. Not thread-safe: the trail calls it from its writer.
/// </summary>
public sealed class ReviewTrailState : ITrailState
{
    private const int TrimStepsPerRecord = 16;

    private readonly Dictionary<string, Item> _items = new(StringComparer.Ordinal);
    private readonly Queue<Item> _order = new();
    private readonly int _retain;
    private readonly TimeSpan _window;
    private readonly int _maxWindowEntries;
    private readonly TimeProvider _time;
    private int _windowEntries;

    /// <param name="retain">Decisions the local review store keeps (its <c>RetainDecisions</c>); 0 when reviews live in a shared store.</param>
    /// <param name="window">How long a request id is remembered.</param>
    /// <param name="maxWindowEntries">Most request ids remembered.</param>
    /// <param name="time">The clock the window is measured by.</param>
    public ReviewTrailState(int retain, TimeSpan window, int maxWindowEntries, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retain);
        ArgumentOutOfRangeException.ThrowIfNegative(maxWindowEntries);
        ArgumentNullException.ThrowIfNull(time);
        _retain = retain;
        _window = window;
        _maxWindowEntries = maxWindowEntries;
        _time = time;
    }

    /// <summary>Decisions kept now.</summary>
    public int Count => _items.Count;

    public void Observe(long seq, string type, ReadOnlyMemory<byte> canonicalPayload)
    {
        if (type == DecisionEventJson.Type)
        {
            var head = DecisionHead.Read(canonicalPayload.Span);
            if (_items.ContainsKey(head.DecisionId))
            {
                return;
            }

            var item = new Item(head.DecisionId, seq, canonicalPayload, head.DecidedAt, head.HasRequest)
            {
                Review = ReviewSnapshot.Initial(head.Verdict),
            };
            _items.Add(item.Id, item);
            _order.Enqueue(item);
            if (item.HasRequest)
            {
                _windowEntries++;
            }

            Trim();
        }
        else if (_retain > 0 && ReviewEventJson.IsReviewEvent(type))
        {
            var payload = JsonNode.Parse(canonicalPayload.Span)!.AsObject();
            if (!_items.TryGetValue(ReviewEventJson.DecisionIdOf(payload), out var item) || ReviewEventJson.Read(type, payload, seq) is not { } change)
            {
                return;
            }

            (item.Review, item.Use) = change.ApplyTo(item.Review, item.Use, seq);
            (item.Changes ??= []).Add(new TrailStateEntry(seq, type, canonicalPayload));
        }
    }

    public IReadOnlyList<TrailStateEntry> Snapshot()
    {
        var entries = new List<TrailStateEntry>(_items.Count);
        foreach (var item in _items.Values)
        {
            entries.Add(new TrailStateEntry(item.Seq, DecisionEventJson.Type, item.Payload));
            if (item.Changes is { } changes)
            {
                entries.AddRange(changes);
            }
        }

        return entries;
    }

    /// <summary>
    /// Forgets the oldest decisions neither store nor window needs. A few steps per record keep the cost constant;
    /// a pending one goes to the back of the queue, as in the local store.
    /// </summary>
    private void Trim()
    {
        var now = _time.GetUtcNow();
        for (var budget = TrimStepsPerRecord; budget > 0 && _order.TryPeek(out var oldest); budget--)
        {
            if (!_items.TryGetValue(oldest.Id, out var current) || !ReferenceEquals(current, oldest))
            {
                _order.Dequeue();
                continue;
            }

            if (_items.Count <= _retain)
            {
                return;
            }

            // Still in the idempotency window, or a pending review: kept, looked at again later.
            var inWindow = oldest.HasRequest && oldest.DecidedAt + _window > now && _windowEntries <= _maxWindowEntries;
            _order.Dequeue();
            if (inWindow || (_retain > 0 && oldest.Review.State == ReviewState.Pending))
            {
                _order.Enqueue(oldest);
                continue;
            }

            _items.Remove(oldest.Id);
            if (oldest.HasRequest)
            {
                _windowEntries--;
            }
        }
    }

    /// <summary>
    /// One kept decision. Its record is held as seq and bytes, not as an entry object, and its review events as a list
    /// only once it has one: most kept decisions are never reviewed, and every object here is copied by the young
    /// collections while the decision is retained.
    /// </summary>
    private sealed class Item(string id, long seq, ReadOnlyMemory<byte> payload, DateTimeOffset decidedAt, bool hasRequest)
    {
        public string Id { get; } = id;

        public long Seq { get; } = seq;

        public ReadOnlyMemory<byte> Payload { get; } = payload;

        public DateTimeOffset DecidedAt { get; } = decidedAt;

        public bool HasRequest { get; } = hasRequest;

        /// <summary>Its review events on record, in order; null until it has one.</summary>
        public List<TrailStateEntry>? Changes { get; set; }

        public required ReviewSnapshot Review { get; set; }

        public ApprovalUse? Use { get; set; }
    }
}
