using System.Text.Json.Nodes;

namespace Pdp.Policies.Model;

/// <summary>
/// What a policy's <c>prepare(data)</c> returned for one policy set, run once when the set was built. Kept as JSON
/// because engine values belong to the engine that made them; every pooled engine turns it into its own deep-frozen
/// copy, which <c>decide</c> receives as its third argument.
/// </summary>
/// <param name="Value">The prepared value (a JSON null node is <c>null</c>); meaningless when <see cref="Failure"/> is set.</param>
/// <param name="Failure">
/// Why <c>prepare</c> gave no usable value, or null. A set being loaded is refused for it; a set whose data was replaced
/// (<see cref="PolicySet.WithData"/>, for tests) keeps it, and the policy then fails closed on every call.
/// </param>
public sealed record PreparedData(JsonNode? Value, string? Failure)
{
    public bool Failed => Failure is not null;
}
