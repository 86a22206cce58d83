using System.Globalization;
using System.Text.Json.Nodes;
using Jint;
using Jint.Native;
using Jint.Native.Object;

namespace Pdp.Policies.Sandbox;

/// <summary>
/// Turns what <c>prepare(data)</c> returned into JSON, refusing anything that would not survive the trip unchanged or
/// could not be frozen: only <c>null</c>, booleans, finite numbers, strings, dense arrays and plain objects (prototype
/// <c>Object.prototype</c> or <c>null</c>) of own data properties. <c>Set</c> and <c>Map</c> are refused although
/// they look like the natural thing to return: freezing one does not stop <c>add</c>/<c>set</c>, so a decision could
/// leave state for the next one. Plain objects with the wanted keys serve as sets and maps instead. Getters are never
/// run, cycles are refused, and depth and size are bounded.
/// </summary>
internal static class PreparedValueWriter
{
    public const int MaxDepth = 64;

    public const int MaxNodes = 1_000_000;

    /// <summary>The JSON form of <paramref name="value"/>, or null with the reason (naming the path) it has none.</summary>
    public static JsonNode? Write(Engine engine, JsValue value, out string? error)
    {
        var state = new State(engine);
        if (value.IsUndefined())
        {
            error = "it returned undefined: prepare must return the prepared value (an object, array, string, number, boolean or null)";
            return null;
        }

        var node = state.Write(value, "prepared", 0);
        error = state.Error;
        return error is null ? node : null;
    }

    private sealed class State(Engine engine)
    {
        private readonly HashSet<ObjectInstance> _open = new(ReferenceEqualityComparer.Instance);
        private int _nodes;

        public string? Error { get; private set; }

        public JsonNode? Write(JsValue value, string path, int depth)
        {
            if (Error is not null)
            {
                return null;
            }

            if (++_nodes > MaxNodes || depth > MaxDepth)
            {
                return Fail(depth > MaxDepth ? $"{path} is nested deeper than {MaxDepth}" : $"it has more than {MaxNodes} values");
            }

            switch (value)
            {
                case var _ when value.IsNull():
                    return null;
                case var _ when value.IsBoolean():
                    return JsonValue.Create(value.AsBoolean());
                case var _ when value.IsString():
                    return JsonValue.Create(value.AsString());
                case var _ when value.IsNumber():
                    var number = value.AsNumber();
                    return double.IsFinite(number) ? JsonValue.Create(number) : Fail($"{path} is {number.ToString(CultureInfo.InvariantCulture)}, which JSON cannot hold");
                case JsArray array when array.Prototype == engine.Intrinsics.Array.PrototypeObject:
                    return Enter(array, path) ? Leave(array, WriteArray(array, path, depth)) : null;
                case JsObject obj when obj.Prototype is null || obj.Prototype == engine.Intrinsics.Object.PrototypeObject:
                    return Enter(obj, path) ? Leave(obj, WriteObject(obj, path, depth)) : null;
                case ObjectInstance other:
                    return Fail($"{path} is {Describe(other)}: prepare may return only null, booleans, finite numbers, strings, arrays and plain objects (use an object's keys instead of a Set or Map)");
                default:
                    return Fail($"{path} is {(value.IsUndefined() ? "undefined" : value.Type.ToString().ToLowerInvariant())}, which JSON cannot hold");
            }
        }

        private JsonArray? WriteArray(JsArray array, string path, int depth)
        {
            var length = array.Length;
            var result = new JsonArray();
            for (uint i = 0; i < length; i++)
            {
                var descriptor = array.GetOwnProperty(i);
                if (descriptor == Jint.Runtime.Descriptors.PropertyDescriptor.Undefined || !descriptor.IsDataDescriptor())
                {
                    return Fail<JsonArray>($"{path}[{i}] is a hole or a getter: arrays must be dense, of plain values");
                }

                result.Add(Write(descriptor.Value, $"{path}[{i}]", depth + 1));
                if (Error is not null)
                {
                    return null;
                }
            }

            return result;
        }

        private JsonObject? WriteObject(ObjectInstance obj, string path, int depth)
        {
            var result = new JsonObject();
            foreach (var key in obj.GetOwnPropertyKeys())
            {
                if (key.IsSymbol())
                {
                    return Fail<JsonObject>($"{path} has a symbol key, which JSON cannot hold");
                }

                var name = key.ToString();
                var descriptor = obj.GetOwnProperty(key);
                if (!descriptor.IsDataDescriptor())
                {
                    return Fail<JsonObject>($"{path}.{name} is a getter or setter: prepare may return only plain values");
                }

                result[name] = Write(descriptor.Value, $"{path}.{name}", depth + 1);
                if (Error is not null)
                {
                    return null;
                }
            }

            return result;
        }

        private bool Enter(ObjectInstance obj, string path)
        {
            if (_open.Add(obj))
            {
                return true;
            }

            Fail($"{path} refers back to an object that contains it: a cycle cannot be frozen into data");
            return false;
        }

        private JsonNode? Leave(ObjectInstance obj, JsonNode? node)
        {
            // Shared (not cyclic) structure is fine: it is written once per place it appears.
            _open.Remove(obj);
            return node;
        }

        private JsonNode? Fail(string message) => Fail<JsonNode>(message);

        private T? Fail<T>(string message)
            where T : JsonNode
        {
            Error ??= message;
            return null;
        }

        private static string Describe(ObjectInstance obj) => obj switch
        {
            Jint.Native.Function.Function => "a function",
            JsObject or JsArray => "an object whose prototype is not Object.prototype or Array.prototype (a class instance?)",
            _ when obj.GetType().Name.StartsWith("Js", StringComparison.Ordinal) => $"a {obj.GetType().Name[2..]} object",
            _ => "an object that is not a plain object or array",
        };
    }
}
