using Jint;
using Jint.Native;
using Jint.Native.Object;

namespace Pdp.Policies.Sandbox;

/// <summary>
/// A Jint engine set up as the policy sandbox: strict mode, no CLR access (Jint allows none unless asked),
/// no <c>eval</c> or <c>Function</c> from strings, no module loader (so no file-system imports), a clock
/// pinned to the decision time, no <c>Math.random</c>, and every intrinsic and the global object frozen
/// so one policy cannot pollute what another sees. Limits from <see cref="SandboxOptions"/> apply to each
/// call. Not thread-safe: one thread at a time, as Jint requires.
/// </summary>
public sealed class SandboxEngine
{
    private readonly DecisionClock _clock = new();
    private readonly DeepFreezer _freezer = new();

    public SandboxEngine(SandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var jintOptions = new Options
        {
            Strict = true,
            TimeSystem = _clock,
        };
        jintOptions.Constraint(new CpuTimeConstraint(TimeSpan.FromMilliseconds(options.TimeoutMilliseconds)))
            .MaxStatements(options.MaxStatements)
            .LimitMemory(options.MemoryLimitBytes)
            .LimitRecursion(options.MaxRecursionDepth)
            .DisableStringCompilation();
        jintOptions.Constraints.MaxArraySize = options.MaxArraySize;
        jintOptions.Constraints.RegexTimeout = TimeSpan.FromMilliseconds(options.RegexTimeoutMilliseconds);

        Engine = new Engine(jintOptions);
        LockDownGlobals();
    }

    /// <summary>The underlying engine. Callers must not add globals: the global object is frozen.</summary>
    public Engine Engine { get; }

    /// <summary>The time <c>Date.now()</c> answers; set to the decision's time before each evaluation.</summary>
    public DateTimeOffset Now
    {
        get => _clock.Now;
        set => _clock.Now = value;
    }

    /// <summary>Deep-freezes a value created in this engine (module bindings, data).</summary>
    public void Freeze(JsValue value) => _freezer.Freeze(value);

    /// <summary>Converts a JSON document to a deep-frozen value of this engine.</summary>
    public JsValue ToFrozenValue(System.Text.Json.Nodes.JsonNode? node) => FrozenJsonConverter.ToFrozen(Engine, node);

    private void LockDownGlobals()
    {
        var global = Engine.Global;

        // Randomness would make a decision unrepeatable in replay and tests.
        if (global.Get("Math") is ObjectInstance math)
        {
            math.Delete("random");
        }

        // Proxies would let a returned value run code while the host reads it.
        global.Delete("Proxy");

        foreach (var key in global.GetOwnPropertyKeys())
        {
            _freezer.Freeze(global.Get(key));
        }

        _freezer.Freeze(global);
    }
}
