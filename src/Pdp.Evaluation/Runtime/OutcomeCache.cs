using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Caching.Memory;
using Pdp.Evaluation.Results;

namespace Pdp.Evaluation.Runtime;

/// <summary>
/// Remembers the outcomes of policies that declare <c>cacheable: true</c>, for one policy set (one evaluator, so one
/// revision and one set of data), bounded by entry count.
/// <para>
/// The rule, conservative on purpose: a cacheable policy is <em>always</em> evaluated — cached or not — on the input
/// without <c>decision_id</c> and <c>time</c> (the two facts that differ on every request) and with the clock hidden
/// (<c>Date.now()</c> and <c>new Date()</c> throw). What it sees is then exactly what the key covers: everything else of
/// the input, in document order (which a policy can observe through <c>Object.keys</c>), every string by its UTF-16 code
/// units and every number by its double bits, exactly as the sandbox converts them. Equal keys mean equal inputs, so a
/// hit returns what a fresh evaluation would. Only clean outcomes are kept: a policy that threw, timed out, hit a limit
/// or returned garbage is evaluated again next time. Policies that do not declare themselves cacheable are never cached.
/// </para>
/// </summary>
internal sealed class OutcomeCache : IDisposable
{
    /// <summary>The input members a cacheable policy does not see and the key leaves out.</summary>
    public static readonly IReadOnlySet<string> PerRequestFacts = new HashSet<string>(["decision_id", "time"], StringComparer.Ordinal);

    private const int MaxKeyBytes = 256 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    private readonly MemoryCache _cache;
    private long _hits;
    private long _misses;

    public OutcomeCache(int entries) => _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = entries, CompactionPercentage = 0.25 });

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    public int Count => _cache.Count;

    /// <summary>The key of an input (SHA-256 of its injective binary form without the per-request facts), or null when it is too large to be worth caching.</summary>
    public static InputKey? KeyOf(JsonObject input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        if (!Write(buffer, input, PerRequestFacts, 0))
        {
            return null;
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(buffer.WrittenSpan, hash);
        var words = MemoryMarshal.Cast<byte, ulong>(hash);
        return new InputKey(words[0], words[1], words[2], words[3]);
    }

    public bool TryGet(int policyIndex, InputKey key, out PolicyOutcome outcome)
    {
        if (_cache.TryGetValue(new Entry(policyIndex, key), out PolicyOutcome? found) && found is not null)
        {
            Interlocked.Increment(ref _hits);
            outcome = found;
            return true;
        }

        Interlocked.Increment(ref _misses);
        outcome = null!;
        return false;
    }

    public void Remember(int policyIndex, InputKey key, PolicyOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (outcome.Error != PolicyErrorKind.None)
        {
            return;
        }

        _cache.Set(new Entry(policyIndex, key), outcome, new MemoryCacheEntryOptions { Size = 1 });
    }

    public void Dispose() => _cache.Dispose();

    // Prefix-free encoding: a tag per node, counts and lengths before contents. Mirrors FrozenJsonConverter: what it
    // turns into different engine values is written differently here, and vice versa.
    private static bool Write(ArrayBufferWriter<byte> buffer, JsonNode? node, IReadOnlySet<string>? omit, int depth)
    {
        if (depth > 64 || buffer.WrittenCount > MaxKeyBytes)
        {
            return false;
        }

        switch (node)
        {
            case null:
                Tag(buffer, 0);
                return true;
            case JsonObject obj:
                Tag(buffer, 1);
                Int(buffer, omit is null ? obj.Count : obj.Count(m => !omit.Contains(m.Key)));
                foreach (var (name, child) in obj)
                {
                    if (omit is not null && omit.Contains(name))
                    {
                        continue;
                    }

                    Text(buffer, name);
                    if (!Write(buffer, child, null, depth + 1))
                    {
                        return false;
                    }
                }

                return true;
            case JsonArray array:
                Tag(buffer, 2);
                Int(buffer, array.Count);
                foreach (var item in array)
                {
                    if (!Write(buffer, item, null, depth + 1))
                    {
                        return false;
                    }
                }

                return true;
            case JsonValue value:
                switch (value.GetValueKind())
                {
                    case JsonValueKind.String:
                        Tag(buffer, 3);
                        Text(buffer, value.GetValue<string>());
                        return true;
                    case JsonValueKind.True:
                        Tag(buffer, 4);
                        return true;
                    case JsonValueKind.False:
                        Tag(buffer, 5);
                        return true;
                    case JsonValueKind.Number:
                        Tag(buffer, 6);
                        BinaryPrimitives.WriteInt64LittleEndian(buffer.GetSpan(8), BitConverter.DoubleToInt64Bits(Pdp.Policies.Sandbox.SandboxEngine.NumberOf(value)));
                        buffer.Advance(8);
                        return true;
                    default:
                        // The converter makes null of anything else.
                        Tag(buffer, 0);
                        return true;
                }

            default:
                return false;
        }
    }

    private static void Tag(ArrayBufferWriter<byte> buffer, byte tag)
    {
        buffer.GetSpan(1)[0] = tag;
        buffer.Advance(1);
    }

    private static void Int(ArrayBufferWriter<byte> buffer, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(buffer.GetSpan(4), value);
        buffer.Advance(4);
    }

    private static void Text(ArrayBufferWriter<byte> buffer, string text)
    {
        Int(buffer, text.Length);
        var bytes = MemoryMarshal.AsBytes(text.AsSpan());
        bytes.CopyTo(buffer.GetSpan(bytes.Length));
        buffer.Advance(bytes.Length);
    }

    private readonly record struct Entry(int Policy, InputKey Key);
}

/// <summary>SHA-256 of an input's cache form.</summary>
internal readonly record struct InputKey(ulong A, ulong B, ulong C, ulong D);
