using Acornima.Ast;

namespace Pdp.Policies.Analysis;

/// <summary>
/// Collects the names a piece of code declares, following ECMAScript scoping in strict (module) code:
/// <c>var</c> is hoisted to the enclosing function, <c>let</c>/<c>const</c>/<c>using</c>/class/function
/// declarations belong to the enclosing block. Never descends into nested functions or class bodies.
/// </summary>
internal static class ScopeCollector
{
    /// <summary>Adds every identifier bound by a binding pattern (identifier, destructuring, default, rest).</summary>
    public static void AddBoundNames(Node? pattern, ICollection<string> names)
    {
        switch (pattern)
        {
            case Identifier identifier:
                names.Add(identifier.Name);
                break;
            case AssignmentPattern assignment:
                AddBoundNames(assignment.Left, names);
                break;
            case RestElement rest:
                AddBoundNames(rest.Argument, names);
                break;
            case ArrayPattern array:
                foreach (var element in array.Elements)
                {
                    AddBoundNames(element, names);
                }

                break;
            case ObjectPattern obj:
                foreach (var property in obj.Properties)
                {
                    AddBoundNames(property is AssignmentProperty p ? p.Value : property, names);
                }

                break;
            default:
                // Member expressions (only valid in assignment patterns) bind nothing.
                break;
        }
    }

    /// <summary>Adds the names bound by all declarators of a variable declaration.</summary>
    public static void AddDeclaredNames(VariableDeclaration declaration, ICollection<string> names)
    {
        foreach (var declarator in declaration.Declarations)
        {
            AddBoundNames(declarator.Id, names);
        }
    }

    /// <summary>Adds the block-scoped names declared directly in a statement list.</summary>
    public static void AddLexicalNames(in NodeList<Statement> statements, ICollection<string> names)
    {
        foreach (var statement in statements)
        {
            switch (statement)
            {
                case VariableDeclaration { Kind: not VariableDeclarationKind.Var } declaration:
                    AddDeclaredNames(declaration, names);
                    break;
                case FunctionDeclaration { Id: { } id }:
                    names.Add(id.Name);
                    break;
                case ClassDeclaration { Id: { } id }:
                    names.Add(id.Name);
                    break;
                default:
                    break;
            }
        }
    }

    /// <summary>Adds the <c>var</c> names declared anywhere in a function body's statement list.</summary>
    public static void AddVarNames(in NodeList<Statement> statements, ICollection<string> names)
    {
        foreach (var statement in statements)
        {
            AddVarNames(statement, names);
        }
    }

    /// <summary>Adds the <c>var</c> names declared anywhere in a statement, outside nested functions.</summary>
    public static void AddVarNames(Statement? statement, ICollection<string> names)
    {
        switch (statement)
        {
            case VariableDeclaration { Kind: VariableDeclarationKind.Var } declaration:
                AddDeclaredNames(declaration, names);
                break;
            case BlockStatement block:
                AddVarNames(block.Body, names);
                break;
            case IfStatement ifStatement:
                AddVarNames(ifStatement.Consequent, names);
                AddVarNames(ifStatement.Alternate, names);
                break;
            case ForStatement forStatement:
                AddVarNames(forStatement.Init as Statement, names);
                AddVarNames(forStatement.Body, names);
                break;
            case ForInStatement forIn:
                AddVarNames(forIn.Left as Statement, names);
                AddVarNames(forIn.Body, names);
                break;
            case ForOfStatement forOf:
                AddVarNames(forOf.Left as Statement, names);
                AddVarNames(forOf.Body, names);
                break;
            case WhileStatement whileStatement:
                AddVarNames(whileStatement.Body, names);
                break;
            case DoWhileStatement doWhile:
                AddVarNames(doWhile.Body, names);
                break;
            case LabeledStatement labeled:
                AddVarNames(labeled.Body, names);
                break;
            case WithStatement with:
                AddVarNames(with.Body, names);
                break;
            case SwitchStatement switchStatement:
                foreach (var switchCase in switchStatement.Cases)
                {
                    AddVarNames(switchCase.Consequent, names);
                }

                break;
            case TryStatement tryStatement:
                AddVarNames(tryStatement.Block, names);
                AddVarNames(tryStatement.Handler?.Body, names);
                AddVarNames(tryStatement.Finalizer, names);
                break;
            default:
                break;
        }
    }

    /// <summary>Adds the names a module top-level statement binds (whether or not it is allowed).</summary>
    public static void AddTopLevelNames(Statement statement, ICollection<string> names)
    {
        switch (statement)
        {
            case ExportNamedDeclaration { Declaration: { } declaration }:
                AddTopLevelNames(declaration, names);
                break;
            case ExportDefaultDeclaration { Declaration: Declaration declaration }:
                AddTopLevelNames(declaration, names);
                break;
            case VariableDeclaration declaration:
                AddDeclaredNames(declaration, names);
                break;
            case FunctionDeclaration { Id: { } id }:
                names.Add(id.Name);
                break;
            case ClassDeclaration { Id: { } id }:
                names.Add(id.Name);
                break;
            case ImportDeclaration import:
                foreach (var specifier in import.Specifiers)
                {
                    names.Add(specifier.Local.Name);
                }

                break;
            default:
                break;
        }
    }

    /// <summary>The static name of a property/method key, or null for computed keys.</summary>
    public static string? KeyName(Expression key, bool computed) => computed
        ? null
        : key switch
        {
            Identifier identifier => identifier.Name,
            PrivateIdentifier privateIdentifier => "#" + privateIdentifier.Name,
            StringLiteral literal => literal.Value,
            Literal literal => literal.Raw,
            _ => null,
        };
}
