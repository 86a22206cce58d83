using System.Collections.Concurrent;
using System.Collections.Frozen;
using Pdp.Policies.Model;

namespace Pdp.Evaluation.Runtime;

/// <summary>
/// Finds the policies that apply to an action type without asking each one: exact types and family
/// stems are dictionary look-ups, one per dotted prefix of the type. Results are memoised for the
/// first <see cref="MaxMemoised"/> distinct types only, since callers choose the types and an
/// unbounded memo would let them grow memory at will.
/// </summary>
internal sealed class PolicyDispatchIndex
{
    public const int MaxMemoised = 4096;

    private readonly FrozenDictionary<string, int[]> _exact;
    private readonly FrozenDictionary<string, int[]> _families;
    private readonly int[] _any;
    private readonly ConcurrentDictionary<string, int[]> _memo = new(StringComparer.Ordinal);

    public PolicyDispatchIndex(IReadOnlyList<CompiledPolicy> policies)
    {
        var exact = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var families = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var any = new List<int>();
        for (var i = 0; i < policies.Count; i++)
        {
            foreach (var pattern in policies[i].Metadata.AppliesTo)
            {
                switch (pattern.Kind)
                {
                    case ActionPatternKind.Any:
                        any.Add(i);
                        break;
                    case ActionPatternKind.Exact:
                        Add(exact, pattern.Stem, i);
                        break;
                    default:
                        Add(families, pattern.Stem, i);
                        break;
                }
            }
        }

        _exact = exact.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);
        _families = families.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);
        _any = [.. any];
    }

    /// <summary>Indices (ascending, i.e. in policy-id order) of the policies that apply.</summary>
    public int[] Match(string actionType)
    {
        if (_memo.TryGetValue(actionType, out var cached))
        {
            return cached;
        }

        var found = new SortedSet<int>(_any);
        if (_exact.TryGetValue(actionType, out var exact))
        {
            found.UnionWith(exact);
        }

        for (var dot = actionType.IndexOf('.', StringComparison.Ordinal); dot >= 0; dot = actionType.IndexOf('.', dot + 1))
        {
            if (_families.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(actionType.AsSpan(0, dot + 1), out var family))
            {
                found.UnionWith(family);
            }
        }

        var result = found.ToArray();
        if (_memo.Count < MaxMemoised)
        {
            _memo.TryAdd(actionType, result);
        }

        return result;
    }

    private static void Add(Dictionary<string, List<int>> map, string key, int index)
    {
        if (!map.TryGetValue(key, out var list))
        {
            map[key] = list = [];
        }

        list.Add(index);
    }
}
