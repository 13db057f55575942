#include "client/auth.h"

#include <algorithm>
#include <cctype>

#include "client/internal/call.h"
#include "client/internal/connections.h"
#include "client/internal/convert.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace regent::client {

using internal::CallPolicy;
using internal::Retry;
using Stub = etcdserverpb::Auth::Stub;

std::optional<PermissionType> parse_permission_type(const std::string& text) {
  std::string upper = text;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  authpb::Permission::Type type{};
  if (!authpb::Permission::Type_Parse(upper, &type)) return std::nullopt;
  return static_cast<PermissionType>(type);
}

namespace {

template <class Response, class Request, class Method>
Result<Response> auth_call(Client& client, const Context& ctx, Retry retry, const Request& request,
                           Method method) {
  Response response;
  auto done =
      internal::call(client.connections(), ctx, CallPolicy{.retry = retry},
                     [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& cc) {
                       auto stub = etcdserverpb::Auth::NewStub(channel);
                       return ((*stub).*method)(&cc, request, &response);
                     });
  if (!done) return fail(done.error());
  return response;
}

// A change: sent once, answered by a header alone.
template <class Response, class Request, class Method>
Result<ResponseHeader> change(Client& client, const Context& ctx, const Request& request,
                              Method method) {
  auto r = auth_call<Response>(client, ctx, Retry::kWrite, request, method);
  if (!r) return fail(r.error());
  return internal::from_pb(r->header());
}

template <class Names>
std::vector<std::string> to_vector(const Names& names) {
  return std::vector<std::string>(names.begin(), names.end());
}

}  // namespace

Result<ResponseHeader> Auth::enable(const Context& ctx) const {
  return change<etcdserverpb::AuthEnableResponse>(*client_, ctx, etcdserverpb::AuthEnableRequest(),
                                                  &Stub::AuthEnable);
}

Result<ResponseHeader> Auth::disable(const Context& ctx) const {
  return change<etcdserverpb::AuthDisableResponse>(
      *client_, ctx, etcdserverpb::AuthDisableRequest(), &Stub::AuthDisable);
}

Result<AuthStatusResponse> Auth::status(const Context& ctx) const {
  auto r = auth_call<etcdserverpb::AuthStatusResponse>(
      *client_, ctx, Retry::kIdempotent, etcdserverpb::AuthStatusRequest(), &Stub::AuthStatus);
  if (!r) return fail(r.error());
  return AuthStatusResponse{.header = internal::from_pb(r->header()),
                            .enabled = r->enabled(),
                            .auth_revision = r->authrevision()};
}

Result<ResponseHeader> Auth::user_add(const std::string& name, const std::string& password,
                                      UserAddOptions options, const Context& ctx) const {
  etcdserverpb::AuthUserAddRequest request;
  request.set_name(name);
  request.set_password(password);
  request.mutable_options()->set_no_password(options.no_password);
  return change<etcdserverpb::AuthUserAddResponse>(*client_, ctx, request, &Stub::UserAdd);
}

Result<UserGetResponse> Auth::user_get(const std::string& name, const Context& ctx) const {
  etcdserverpb::AuthUserGetRequest request;
  request.set_name(name);
  auto r = auth_call<etcdserverpb::AuthUserGetResponse>(*client_, ctx, Retry::kIdempotent, request,
                                                        &Stub::UserGet);
  if (!r) return fail(r.error());
  return UserGetResponse{.header = internal::from_pb(r->header()), .roles = to_vector(r->roles())};
}

Result<UserListResponse> Auth::user_list(const Context& ctx) const {
  auto r = auth_call<etcdserverpb::AuthUserListResponse>(
      *client_, ctx, Retry::kIdempotent, etcdserverpb::AuthUserListRequest(), &Stub::UserList);
  if (!r) return fail(r.error());
  return UserListResponse{.header = internal::from_pb(r->header()), .users = to_vector(r->users())};
}

Result<ResponseHeader> Auth::user_delete(const std::string& name, const Context& ctx) const {
  etcdserverpb::AuthUserDeleteRequest request;
  request.set_name(name);
  return change<etcdserverpb::AuthUserDeleteResponse>(*client_, ctx, request, &Stub::UserDelete);
}

Result<ResponseHeader> Auth::user_change_password(const std::string& name,
                                                  const std::string& password,
                                                  const Context& ctx) const {
  etcdserverpb::AuthUserChangePasswordRequest request;
  request.set_name(name);
  request.set_password(password);
  return change<etcdserverpb::AuthUserChangePasswordResponse>(*client_, ctx, request,
                                                              &Stub::UserChangePassword);
}

Result<ResponseHeader> Auth::user_grant_role(const std::string& user, const std::string& role,
                                             const Context& ctx) const {
  etcdserverpb::AuthUserGrantRoleRequest request;
  request.set_user(user);
  request.set_role(role);
  return change<etcdserverpb::AuthUserGrantRoleResponse>(*client_, ctx, request,
                                                         &Stub::UserGrantRole);
}

Result<ResponseHeader> Auth::user_revoke_role(const std::string& user, const std::string& role,
                                              const Context& ctx) const {
  etcdserverpb::AuthUserRevokeRoleRequest request;
  request.set_name(user);
  request.set_role(role);
  return change<etcdserverpb::AuthUserRevokeRoleResponse>(*client_, ctx, request,
                                                          &Stub::UserRevokeRole);
}

Result<ResponseHeader> Auth::role_add(const std::string& role, const Context& ctx) const {
  etcdserverpb::AuthRoleAddRequest request;
  request.set_name(role);
  return change<etcdserverpb::AuthRoleAddResponse>(*client_, ctx, request, &Stub::RoleAdd);
}

Result<RoleGetResponse> Auth::role_get(const std::string& role, const Context& ctx) const {
  etcdserverpb::AuthRoleGetRequest request;
  request.set_role(role);
  auto r = auth_call<etcdserverpb::AuthRoleGetResponse>(*client_, ctx, Retry::kIdempotent, request,
                                                        &Stub::RoleGet);
  if (!r) return fail(r.error());
  RoleGetResponse out{.header = internal::from_pb(r->header())};
  for (const auto& p : r->perm()) {
    out.permissions.push_back(Permission{.type = static_cast<PermissionType>(p.permtype()),
                                         .key = p.key(),
                                         .range_end = p.range_end()});
  }
  return out;
}

Result<RoleListResponse> Auth::role_list(const Context& ctx) const {
  auto r = auth_call<etcdserverpb::AuthRoleListResponse>(
      *client_, ctx, Retry::kIdempotent, etcdserverpb::AuthRoleListRequest(), &Stub::RoleList);
  if (!r) return fail(r.error());
  return RoleListResponse{.header = internal::from_pb(r->header()), .roles = to_vector(r->roles())};
}

Result<ResponseHeader> Auth::role_delete(const std::string& role, const Context& ctx) const {
  etcdserverpb::AuthRoleDeleteRequest request;
  request.set_role(role);
  return change<etcdserverpb::AuthRoleDeleteResponse>(*client_, ctx, request, &Stub::RoleDelete);
}

Result<ResponseHeader> Auth::role_grant_permission(const std::string& role,
                                                   const Permission& permission,
                                                   const Context& ctx) const {
  etcdserverpb::AuthRoleGrantPermissionRequest request;
  request.set_name(role);
  auto* perm = request.mutable_perm();
  perm->set_permtype(static_cast<authpb::Permission::Type>(permission.type));
  perm->set_key(permission.key);
  perm->set_range_end(permission.range_end);
  return change<etcdserverpb::AuthRoleGrantPermissionResponse>(*client_, ctx, request,
                                                               &Stub::RoleGrantPermission);
}

Result<ResponseHeader> Auth::role_revoke_permission(const std::string& role, const std::string& key,
                                                    const std::string& range_end,
                                                    const Context& ctx) const {
  etcdserverpb::AuthRoleRevokePermissionRequest request;
  request.set_role(role);
  request.set_key(key);
  request.set_range_end(range_end);
  return change<etcdserverpb::AuthRoleRevokePermissionResponse>(*client_, ctx, request,
                                                                &Stub::RoleRevokePermission);
}

}  // namespace regent::client
