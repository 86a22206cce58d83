using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;

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
    private readonly Func<Exception> _refuseClock;

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
        _refuseClock = () => new JavaScriptException(Engine.Intrinsics.TypeError, "this policy declares cacheable: true, so it may not read the clock (Date.now(), new Date())");
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

    /// <summary>
    /// Hides the clock: while true, <c>Date.now()</c> and <c>new Date()</c> throw a <c>TypeError</c> (a policy failure
    /// like any other throw) instead of answering. Set for policies that declare <c>cacheable: true</c>.
    /// </summary>
    public bool ClockHidden
    {
        get => _clock.Refusal is not null;
        set => _clock.Refusal = value ? _refuseClock : null;
    }

    /// <summary>Deep-freezes a value created in this engine (module bindings, data).</summary>
    public void Freeze(JsValue value) => _freezer.Freeze(value);

    /// <summary>Converts a JSON document to a deep-frozen value of this engine.</summary>
    public JsValue ToFrozenValue(System.Text.Json.Nodes.JsonNode? node) => FrozenJsonConverter.ToFrozen(Engine, node);

    /// <summary>The double a JSON number becomes in the sandbox.</summary>
    public static double NumberOf(System.Text.Json.Nodes.JsonValue value) => FrozenJsonConverter.NumberOf(value);

    /// <summary>Converts a JSON object to a deep-frozen value of this engine, leaving out the named top-level members.</summary>
    public JsValue ToFrozenValue(System.Text.Json.Nodes.JsonObject document, IReadOnlySet<string> omitTopLevel) => FrozenJsonConverter.ToFrozenObject(Engine, document, omitTopLevel);

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
