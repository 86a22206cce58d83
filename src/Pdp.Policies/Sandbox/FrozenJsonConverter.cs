using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime.Descriptors;

namespace Pdp.Policies.Sandbox;

/// <summary>
/// Turns a JSON document into JavaScript values that are frozen as they are built: every property
/// enumerable but neither writable nor configurable, every object and array non-extensible. Building
/// them frozen is cheaper than building and then freezing, and it goes straight from the node tree
/// to engine values with no JSON text in between.
/// </summary>
internal static class FrozenJsonConverter
{
    public static JsValue ToFrozen(Engine engine, JsonNode? node) => node switch
    {
        null => JsValue.Null,
        JsonObject obj => ToFrozenObject(engine, obj),
        JsonArray array => ToFrozenArray(engine, array),
        JsonValue value => ToPrimitive(value),
        _ => JsValue.Undefined,
    };

    /// <summary>Like <see cref="ToFrozen"/> for an object, leaving out the named members of the object itself (not of its children).</summary>
    public static JsObject ToFrozenObject(Engine engine, JsonObject obj, IReadOnlySet<string>? omit = null)
    {
        var result = new JsObject(engine);
        foreach (var (name, child) in obj)
        {
            if (omit is not null && omit.Contains(name))
            {
                continue;
            }

            result.FastSetProperty(name, new PropertyDescriptor(ToFrozen(engine, child), PropertyFlag.OnlyEnumerable));
        }

        result.PreventExtensions();
        return result;
    }

    private static JsArray ToFrozenArray(Engine engine, JsonArray array)
    {
        var items = new JsValue[array.Count];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = ToFrozen(engine, array[i]);
        }

        var result = new JsArray(engine, items);
        for (uint i = 0; i < items.Length; i++)
        {
            result.DefineOwnProperty(i, new PropertyDescriptor(items[i], PropertyFlag.OnlyEnumerable));
        }

        result.DefineOwnProperty("length", new PropertyDescriptor(items.Length, PropertyFlag.None));
        result.PreventExtensions();
        return result;
    }

    /// <summary>A JSON number as the double the sandbox sees, whatever .NET type the node holds (double, int, decimal, parsed text).</summary>
    public static double NumberOf(JsonValue value) =>
        value.TryGetValue<double>(out var number) ? number : double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static JsValue ToPrimitive(JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                return new JsString(value.GetValue<string>());
            case JsonValueKind.True:
                return JsBoolean.True;
            case JsonValueKind.False:
                return JsBoolean.False;
            case JsonValueKind.Number:
                // A node built in code may hold any CLR number type; one parsed from text holds a JsonElement.
                return JsNumber.Create(value.TryGetValue<double>(out var number) ? number : double.Parse(value.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture));
            default:
                return JsValue.Null;
        }
    }
}
