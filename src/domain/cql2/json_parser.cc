// cql2-json: the JSON encoding of CQL2 1.0 (OGC 21-065, schema cql2.json), read from an
// already parsed Json value. Errors name the offending member as a JSON pointer.
#include <cmath>
#include <optional>
#include <utility>

#include "core/time.h"
#include "domain/cql2/expression_builder.h"
#include "domain/cql2/parser.h"

namespace dothi::domain::cql2 {
namespace {

constexpr std::string_view kErrorKind = "invalid cql2-json";

std::optional<CompareOp> CompareOpFromName(std::string_view op) {
  if (op == "=") return CompareOp::kEq;
  if (op == "<>") return CompareOp::kNe;
  if (op == "<") return CompareOp::kLt;
  if (op == ">") return CompareOp::kGt;
  if (op == "<=") return CompareOp::kLe;
  if (op == ">=") return CompareOp::kGe;
  return std::nullopt;
}

std::optional<geo::SpatialRelation> SpatialFromName(std::string_view op) {
  if (op == "s_intersects") return geo::SpatialRelation::kIntersects;
  if (op == "s_equals") return geo::SpatialRelation::kEquals;
  if (op == "s_disjoint") return geo::SpatialRelation::kDisjoint;
  if (op == "s_touches") return geo::SpatialRelation::kTouches;
  if (op == "s_within") return geo::SpatialRelation::kWithin;
  if (op == "s_overlaps") return geo::SpatialRelation::kOverlaps;
  if (op == "s_crosses") return geo::SpatialRelation::kCrosses;
  if (op == "s_contains") return geo::SpatialRelation::kContains;
  return std::nullopt;
}

bool IsArithmetic(std::string_view op) {
  return op == "+" || op == "-" || op == "*" || op == "/" || op == "^" || op == "%" || op == "div";
}

class JsonParser {
 public:
  JsonParser(const Cql2Limits& limits, const PositionConverter& to_crs84)
      : b_(limits, to_crs84) {}

  Result<Expression> Parse(const Json& j) {
    std::uint32_t root = 0;
    DOTHI_RETURN_IF_ERROR(ParseBoolean(j, "", 0, root));
    return std::move(b_).Finish(root);
  }

 private:
  static Status Error(std::string_view reason, const std::string& path) {
    return Status::BadRequestData(
        kErrorKind, std::string(reason) + " at " + (path.empty() ? "the top level" : path));
  }

  Status CheckDepth(int depth, const std::string& path) const {
    if (depth > b_.limits().max_depth) return Error("nested too deeply", path);
    return Status::OK();
  }

  Status Added(Result<std::uint32_t> r, std::uint32_t& out, const std::string& path) {
    if (!r.ok()) return Error(r.status().message(), path);
    out = *r;
    return Status::OK();
  }

  // The "args" array of an operator object with exactly n members (at least n when
  // at_least). isNull and not also take their single operand without the array (drafts).
  Result<std::vector<const Json*>> Args(const Json& j, std::string_view op, std::size_t n,
                                        bool at_least, const std::string& path) {
    const Json* args = j.Find("args");
    if (args == nullptr) return Error("\"" + std::string(op) + "\" needs \"args\"", path);
    std::vector<const Json*> out;
    if (!args->is_array()) {
      if (n == 1 && !at_least) return std::vector<const Json*>{args};
      return Error("\"args\" must be an array", path + "/args");
    }
    for (const Json& a : args->AsArray()) out.push_back(&a);
    if (out.size() < n || (!at_least && out.size() > n)) {
      return Error("\"" + std::string(op) + "\" takes " + (at_least ? "at least " : "") +
                       std::to_string(n) + " argument" + (n == 1 ? "" : "s") + ", got " +
                       std::to_string(out.size()),
                   path + "/args");
    }
    return out;
  }

  static std::string ArgPath(const std::string& path, std::size_t i) {
    return path + "/args/" + std::to_string(i);
  }

  Status ParseBoolean(const Json& j, const std::string& path, int depth, std::uint32_t& out) {
    DOTHI_RETURN_IF_ERROR(CheckDepth(depth, path));
    if (j.is_bool()) {
      Node node;
      node.kind = Node::Kind::kBool;
      node.value = j.AsBool();
      return Added(b_.AddBoolean(std::move(node)), out, path);
    }
    const Json* op_member = j.is_object() ? j.Find("op") : nullptr;
    if (op_member == nullptr || !op_member->is_string()) {
      return Error(
          "expected a boolean expression (an object with \"op\" and \"args\", or a "
          "boolean)",
          path);
    }
    const std::string& op = op_member->AsString();
    if (op == "and" || op == "or" || op == "not") {
      const bool is_not = op == "not";
      Result<std::vector<const Json*>> args = Args(j, op, is_not ? 1 : 2, !is_not, path);
      if (!args.ok()) return args.status();
      Node node;
      node.kind = is_not ? Node::Kind::kNot : (op == "and" ? Node::Kind::kAnd : Node::Kind::kOr);
      for (std::size_t i = 0; i < args->size(); ++i) {
        std::uint32_t child = 0;
        DOTHI_RETURN_IF_ERROR(ParseBoolean(*(*args)[i], ArgPath(path, i), depth + 1, child));
        node.children.push_back(child);
      }
      return Added(b_.AddBoolean(std::move(node)), out, path);
    }
    if (std::optional<CompareOp> cmp = CompareOpFromName(op)) {
      Node node;
      node.kind = Node::Kind::kCompare;
      node.op = *cmp;
      DOTHI_RETURN_IF_ERROR(Operands(j, op, 2, path, depth, node, false));
      return Added(b_.AddPredicate(std::move(node)), out, path);
    }
    if (op == "like") {
      Node node;
      node.kind = Node::Kind::kLike;
      DOTHI_RETURN_IF_ERROR(Operands(j, op, 2, path, depth, node, false));
      const Operand::Kind subject = node.operands[0].kind;
      if (subject != Operand::Kind::kString && subject != Operand::Kind::kProperty) {
        return Error("\"like\" applies to a string or a property", ArgPath(path, 0));
      }
      if (node.operands[1].kind != Operand::Kind::kString) {
        return Error("a LIKE pattern is a string", ArgPath(path, 1));
      }
      return Added(b_.AddPredicate(std::move(node)), out, path);
    }
    if (op == "between") {
      Node node;
      node.kind = Node::Kind::kBetween;
      DOTHI_RETURN_IF_ERROR(Operands(j, op, 3, path, depth, node, false));
      return Added(b_.AddPredicate(std::move(node)), out, path);
    }
    if (op == "in") return ParseIn(j, path, depth, out);
    if (op == "isNull") {
      Node node;
      node.kind = Node::Kind::kIsNull;
      DOTHI_RETURN_IF_ERROR(Operands(j, op, 1, path, depth, node, true));
      return Added(b_.AddPredicate(std::move(node)), out, path);
    }
    if (std::optional<geo::SpatialRelation> rel = SpatialFromName(op)) {
      Node node;
      node.kind = Node::Kind::kSpatial;
      node.rel = *rel;
      DOTHI_RETURN_IF_ERROR(Operands(j, op, 2, path, depth, node, true));
      for (std::size_t i = 0; i < 2; ++i) {
        const Operand& o = node.operands[i];
        if ((o.kind != Operand::Kind::kProperty && o.kind != Operand::Kind::kGeometry) || o.casei ||
            o.accenti) {
          return Error("expected a geometry or a property", ArgPath(path, i));
        }
      }
      return Added(b_.AddPredicate(std::move(node)), out, path);
    }
    if (op == "casei" || op == "accenti") {
      return Error("expected a boolean expression, not a value", path + "/op");
    }
    return Unsupported(op, path + "/op");
  }

  // The error for an operator this parser does not take (at a boolean or a value position).
  static Status Unsupported(const std::string& op, const std::string& path) {
    if (op.rfind("t_", 0) == 0) return Error("temporal functions are not supported", path);
    if (op.rfind("a_", 0) == 0) return Error("array functions are not supported", path);
    if (IsArithmetic(op)) return Error("arithmetic is not supported", path);
    return Error("unknown function '" + op + "'", path);
  }

  // The n operands of a predicate into node.operands; geometries only when allowed.
  Status Operands(const Json& j, const std::string& op, std::size_t n, const std::string& path,
                  int depth, Node& node, bool allow_geometry) {
    Result<std::vector<const Json*>> args = Args(j, op, n, false, path);
    if (!args.ok()) return args.status();
    node.operands.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::string arg_path =
          args->size() == 1 && !j.Find("args")->is_array() ? path + "/args" : ArgPath(path, i);
      DOTHI_RETURN_IF_ERROR(
          ParseScalar(*(*args)[i], arg_path, depth + 1, node.operands[i], allow_geometry));
    }
    return Status::OK();
  }

  Status ParseIn(const Json& j, const std::string& path, int depth, std::uint32_t& out) {
    Result<std::vector<const Json*>> args = Args(j, "in", 2, false, path);
    if (!args.ok()) return args.status();
    Node node;
    node.kind = Node::Kind::kIn;
    node.operands.emplace_back();
    DOTHI_RETURN_IF_ERROR(
        ParseScalar(*(*args)[0], ArgPath(path, 0), depth + 1, node.operands[0], false));
    const Json& list = *(*args)[1];
    const std::string list_path = ArgPath(path, 1);
    if (!list.is_array()) return Error("\"in\" takes a value and an array", list_path);
    if (list.AsArray().empty()) return Error("empty IN list", list_path);
    if (list.AsArray().size() > b_.limits().max_list_items) {
      return Error("IN list longer than " + std::to_string(b_.limits().max_list_items) + " items",
                   list_path);
    }
    for (std::size_t i = 0; i < list.AsArray().size(); ++i) {
      node.operands.emplace_back();
      DOTHI_RETURN_IF_ERROR(ParseScalar(list.AsArray()[i], list_path + "/" + std::to_string(i),
                                        depth + 1, node.operands.back(), false));
    }
    return Added(b_.AddPredicate(std::move(node)), out, path);
  }

  Status ParseScalar(const Json& j, const std::string& path, int depth, Operand& o,
                     bool allow_geometry) {
    DOTHI_RETURN_IF_ERROR(CheckDepth(depth, path));
    switch (j.type()) {
      case Json::Type::kString:
        o.kind = Operand::Kind::kString;
        o.text = j.AsString();
        return Status::OK();
      case Json::Type::kInt:
        o.kind = Operand::Kind::kNumber;
        o.is_int = true;
        o.i = j.AsInt();
        o.d = static_cast<double>(o.i);
        return Status::OK();
      case Json::Type::kDouble:
        o.kind = Operand::Kind::kNumber;
        o.d = j.AsDouble();
        if (!std::isfinite(o.d)) return Error("number is not finite", path);
        return Status::OK();
      case Json::Type::kBool:
        o.kind = Operand::Kind::kBool;
        o.b = j.AsBool();
        return Status::OK();
      case Json::Type::kNull:
        return Error("null is not a value (use isNull)", path);
      case Json::Type::kArray:
        return Error("expected a value, not an array", path);
      case Json::Type::kObject:
        break;
    }
    if (const Json* p = j.Find("property")) {
      if (!p->is_string() || p->AsString().empty()) {
        return Error("\"property\" must be a non-empty string", path + "/property");
      }
      o.kind = Operand::Kind::kProperty;
      o.text = p->AsString();
      return Status::OK();
    }
    if (const Json* t = j.Find("timestamp")) return Instant(*t, false, path + "/timestamp", o);
    if (const Json* d = j.Find("date")) return Instant(*d, true, path + "/date", o);
    if (j.Find("interval") != nullptr) return Error("temporal functions are not supported", path);
    if (const Json* bbox = j.Find("bbox"); bbox != nullptr && !j.Contains("type")) {
      if (!allow_geometry) return Error("a geometry belongs in a spatial function or isNull", path);
      return BBox(*bbox, path + "/bbox", o);
    }
    if (const Json* type = j.Find("type")) {
      if (!allow_geometry) return Error("a geometry belongs in a spatial function or isNull", path);
      return Geometry(j, *type, path, o);
    }
    // {"op": "casei", "args": [x]}, or the drafts' {"casei": x}.
    const Json* op = j.Find("op");
    const std::string name = op != nullptr && op->is_string() ? op->AsString() : std::string();
    const Json* legacy_casei = j.Find("casei");
    const Json* legacy_accenti = j.Find("accenti");
    if (name == "casei" || name == "accenti" || legacy_casei != nullptr ||
        legacy_accenti != nullptr) {
      const bool casei = name == "casei" || (name.empty() && legacy_casei != nullptr);
      const Json* inner = nullptr;
      std::string inner_path;
      if (!name.empty()) {
        Result<std::vector<const Json*>> args = Args(j, name, 1, false, path);
        if (!args.ok()) return args.status();
        inner = (*args)[0];
        inner_path = j.Find("args")->is_array() ? ArgPath(path, 0) : path + "/args";
      } else {
        inner = casei ? legacy_casei : legacy_accenti;
        inner_path = path + (casei ? "/casei" : "/accenti");
      }
      DOTHI_RETURN_IF_ERROR(ParseScalar(*inner, inner_path, depth + 1, o, false));
      if (o.kind != Operand::Kind::kString && o.kind != Operand::Kind::kProperty) {
        return Error(
            std::string(casei ? "casei" : "accenti") + " applies to a string or a property",
            inner_path);
      }
      (casei ? o.casei : o.accenti) = true;
      return Status::OK();
    }
    if (!name.empty()) {
      if (CompareOpFromName(name) || SpatialFromName(name) || name == "and" || name == "or" ||
          name == "not" || name == "like" || name == "between" || name == "in" ||
          name == "isNull") {
        return Error("a predicate is not a value", path + "/op");
      }
      return Unsupported(name, path + "/op");
    }
    return Error(
        "expected a value: a string, a number, a boolean, {\"property\": ...}, "
        "{\"timestamp\": ...}, {\"date\": ...}, casei or accenti",
        path);
  }

  Status Instant(const Json& j, bool date, const std::string& path, Operand& o) {
    const std::optional<Timestamp> t =
        j.is_string() ? ParseIso8601(j.AsString()) : std::optional<Timestamp>();
    if (!t || (j.AsString().size() > 10) == date) {
      return Error(date ? "invalid date (expected YYYY-MM-DD)"
                        : "invalid timestamp (expected YYYY-MM-DDThh:mm:ssZ)",
                   path);
    }
    o.kind = date ? Operand::Kind::kDate : Operand::Kind::kTimestamp;
    o.micros = t->micros;
    return Status::OK();
  }

  Status BBox(const Json& j, const std::string& path, Operand& o) {
    if (!j.is_array()) return Error("\"bbox\" must be an array of 4 or 6 numbers", path);
    std::vector<double> values;
    for (const Json& n : j.AsArray()) {
      if (!n.is_number()) return Error("\"bbox\" must be an array of 4 or 6 numbers", path);
      values.push_back(n.AsDouble());
    }
    return Built(b_.BBoxOperand(values), path, o);
  }

  Status Geometry(const Json& j, const Json& type, const std::string& path, Operand& o) {
    if (!type.is_string()) return Error("geometry \"type\" must be a string", path + "/type");
    if (type.AsString() == "GeometryCollection") {
      return Error("GeometryCollection is not supported", path + "/type");
    }
    const Json* coordinates = j.Find("coordinates");
    if (coordinates == nullptr) return Error("geometry has no \"coordinates\"", path);
    return Built(b_.GeometryOperand(type.AsString(), *coordinates), path, o);
  }

  Status Built(Result<Operand> r, const std::string& path, Operand& o) {
    if (!r.ok()) return Error(r.status().message(), path);
    o = std::move(*r);
    return Status::OK();
  }

  ExpressionBuilder b_;
};

}  // namespace

Result<Expression> ParseCql2Json(const Json& json, const Cql2Limits& limits,
                                 const PositionConverter& to_crs84) {
  return JsonParser(limits, to_crs84).Parse(json);
}

}  // namespace dothi::domain::cql2
