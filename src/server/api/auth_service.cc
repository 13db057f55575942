#include "server/api/auth_service.h"

#include "server/auth/password_hash.h"
#include "server/grpc_status.h"
#include "server/node/auth_check.h"
#include "server/node/auth_errors.h"

namespace regent::server {

namespace {

namespace err = auth_error;
using Reactor = grpc::ServerUnaryReactor;

Failure refused(std::string_view message) { return from_kv(err::refused(message)); }
Failure invalid(std::string_view message) { return from_kv(err::invalid(message)); }

Failure too_many_attempts() {
  return Failure{StatusCode::RESOURCE_EXHAUSTED,
                 "etcdserver: too many authentication attempts on this connection, retry later"};
}

std::optional<Failure> as_failure(const std::optional<kv::Error>& e) {
  if (!e) return std::nullopt;
  return from_kv(*e);
}

authpb::Permission to_api(const regentpb::AuthPermission& p) {
  authpb::Permission out;
  out.set_permtype(static_cast<authpb::Permission::Type>(p.type()));
  out.set_key(p.key());
  out.set_range_end(p.range_end());
  return out;
}

regentpb::AuthPermission from_api(const authpb::Permission& p) {
  regentpb::AuthPermission out;
  out.set_type(static_cast<regentpb::AuthPermissionType>(p.permtype()));
  out.set_key(p.key());
  out.set_range_end(p.range_end());
  return out;
}

}  // namespace

template <class Response>
Reactor* AuthService::propose(Ctx* call, regentpb::AuthChange change, Response* response) {
  regentpb::InternalRequest proposal;
  *proposal.mutable_auth() = std::move(change);
  if (auto refused = stamp_caller(ctx_, *call, proposal))
    return finish_now(call, to_grpc(*refused));
  Reactor* reactor = call->DefaultReactor();
  send(reactor, std::move(proposal), response);
  return reactor;
}

template <class Response>
void AuthService::send(Reactor* reactor, regentpb::InternalRequest proposal, Response* response) {
  ctx_.node->propose(std::move(proposal),
                     [this, reactor, response](Expected<WriteResponse, Failure> outcome) {
                       if (!outcome) return reactor->Finish(to_grpc(outcome.error()));
                       ctx_.fill(response->mutable_header());
                       reactor->Finish(grpc::Status::OK);
                     });
}

template <class Response, class SetHash>
Reactor* AuthService::propose_hashed(Ctx* call, regentpb::AuthChange change, std::string password,
                                     SetHash set_hash, Response* response) {
  regentpb::InternalRequest proposal;
  *proposal.mutable_auth() = std::move(change);
  if (auto refused = stamp_caller(ctx_, *call, proposal))
    return finish_now(call, to_grpc(*refused));
  // Checked again at apply; here so that a caller who may not change users cannot make the
  // member hash passwords for it.
  if (ctx_.auth) {
    if (auto denied = ctx_.auth->check_admin(proposal.header().caller())) {
      return finish_now(call, to_grpc(*denied));
    }
  }
  Reactor* reactor = call->DefaultReactor();
  auto job = [this, reactor, response, set_hash, password = std::move(password),
              proposal = std::move(proposal)]() mutable {
    auto hash = hash_password(password, options_.bcrypt_cost);
    if (!hash) return reactor->Finish(to_grpc(invalid("etcdserver: " + hash.error())));
    set_hash(*proposal.mutable_auth(), std::move(*hash));
    send(reactor, std::move(proposal), response);
  };
  if (!worker_.submit(std::move(job))) reactor->Finish(to_grpc(too_many_requests()));
  return reactor;
}

template <class Answer>
Reactor* AuthService::read(Ctx* call, Answer answer) {
  regentpb::AuthCaller caller;
  if (ctx_.auth) {
    auto who = ctx_.auth->caller(*call);
    if (!who) return finish_now(call, to_grpc(who.error()));
    caller = std::move(*who);
  }
  Reactor* reactor = call->DefaultReactor();
  ctx_.node->read_index([this, reactor, caller = std::move(caller),
                         answer = std::move(answer)](Expected<void, Failure> ready) mutable {
    if (!ready) return reactor->Finish(to_grpc(ready.error()));
    std::optional<Failure> failed = ctx_.machine->read_auth(
        [&](const AuthStore& auth) -> std::optional<Failure> { return answer(auth, caller); });
    reactor->Finish(failed ? to_grpc(*failed) : grpc::Status::OK);
  });
  return reactor;
}

Reactor* AuthService::AuthEnable(Ctx* call, const etcdserverpb::AuthEnableRequest*,
                                 etcdserverpb::AuthEnableResponse* response) {
  regentpb::AuthChange change;
  change.mutable_enable();
  return propose(call, std::move(change), response);
}

Reactor* AuthService::AuthDisable(Ctx* call, const etcdserverpb::AuthDisableRequest*,
                                  etcdserverpb::AuthDisableResponse* response) {
  regentpb::AuthChange change;
  change.mutable_disable();
  return propose(call, std::move(change), response);
}

Reactor* AuthService::AuthStatus(Ctx* call, const etcdserverpb::AuthStatusRequest*,
                                 etcdserverpb::AuthStatusResponse* response) {
  ctx_.fill(response->mutable_header());
  response->set_enabled(ctx_.machine->auth_enabled());
  response->set_authrevision(ctx_.machine->auth_revision());
  return finish_now(call, grpc::Status::OK);
}

Reactor* AuthService::Authenticate(Ctx* call, const etcdserverpb::AuthenticateRequest* request,
                                   etcdserverpb::AuthenticateResponse* response) {
  if (!ctx_.machine->auth_enabled())
    return finish_now(call, to_grpc(refused(err::kAuthNotEnabled)));
  if (!attempts_.try_attempt(ctx_.auth ? ctx_.auth->connection_of(*call) : call->peer())) {
    return finish_now(call, to_grpc(too_many_attempts()));
  }
  struct Found {
    std::string hash;
    uint64_t revision = 0;
    bool no_password = false;
  };
  // An unknown user, or one without a password, is refused at once, as etcd's CheckPassword.
  std::optional<Found> found = ctx_.machine->read_auth([&](const AuthStore& auth) {
    const regentpb::AuthUser* u = auth.user(request->name());
    if (!u) return std::optional<Found>();
    return std::optional<Found>(Found{u->password_hash(), auth.revision(), u->no_password()});
  });
  if (!found) return finish_now(call, to_grpc(invalid(err::kAuthFailed)));
  if (found->no_password) {
    return finish_now(call,
                      to_grpc(Failure{StatusCode::UNKNOWN, std::string(err::kNoPasswordUser)}));
  }
  Reactor* reactor = call->DefaultReactor();
  auto job = [this, reactor, response, name = request->name(), password = request->password(),
              found = std::move(*found)] {
    if (!password_matches(password, found.hash)) {
      return reactor->Finish(to_grpc(invalid(err::kAuthFailed)));
    }
    issue_token(reactor, name, found.revision, response);
  };
  if (!worker_.submit(std::move(job))) reactor->Finish(to_grpc(too_many_requests()));
  return reactor;
}

void AuthService::issue_token(Reactor* reactor, const std::string& name, uint64_t checked,
                              etcdserverpb::AuthenticateResponse* response) {
  std::string token = tokens_.generate();
  regentpb::InternalRequest proposal;
  auto* a = proposal.mutable_auth()->mutable_authenticate();
  a->set_name(name);
  a->set_token(token);
  a->set_checked_revision(checked);
  a->set_issued_unix_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count());
  ctx_.node->propose(std::move(proposal), [this, reactor, response, token = std::move(token)](
                                              Expected<WriteResponse, Failure> outcome) {
    if (!outcome) return reactor->Finish(to_grpc(outcome.error()));
    ctx_.fill(response->mutable_header());
    response->set_token(token);
    reactor->Finish(grpc::Status::OK);
  });
}

Reactor* AuthService::UserAdd(Ctx* call, const etcdserverpb::AuthUserAddRequest* request,
                              etcdserverpb::AuthUserAddResponse* response) {
  regentpb::AuthChange change;
  auto* add = change.mutable_user_add();
  add->set_name(request->name());
  add->set_no_password(request->options().no_password());
  if (request->name().empty()) return finish_now(call, to_grpc(invalid(err::kUserEmpty)));
  if (add->no_password()) return propose(call, std::move(change), response);
  return propose_hashed(
      call, std::move(change), request->password(),
      [](regentpb::AuthChange& c, std::string hash) {
        c.mutable_user_add()->set_password_hash(std::move(hash));
      },
      response);
}

Reactor* AuthService::UserChangePassword(Ctx* call,
                                         const etcdserverpb::AuthUserChangePasswordRequest* request,
                                         etcdserverpb::AuthUserChangePasswordResponse* response) {
  regentpb::AuthChange change;
  change.mutable_user_change_password()->set_name(request->name());
  return propose_hashed(
      call, std::move(change), request->password(),
      [](regentpb::AuthChange& c, std::string hash) {
        c.mutable_user_change_password()->set_password_hash(std::move(hash));
      },
      response);
}

Reactor* AuthService::UserGet(Ctx* call, const etcdserverpb::AuthUserGetRequest* request,
                              etcdserverpb::AuthUserGetResponse* response) {
  return read(
      call,
      [this, name = request->name(), response](
          const AuthStore& auth, const regentpb::AuthCaller& caller) -> std::optional<Failure> {
        // Root may look at anyone; a user at itself (etcd's authApplierV3.UserGet).
        if (auto r = caller_refusal(auth, caller)) return from_kv(*r);
        if (auth.enabled() && name != caller.username()) {
          if (auto denied = as_failure(admin_refusal(auth, caller))) return denied;
        }
        const regentpb::AuthUser* u = auth.user(name);
        if (!u) return refused(err::kUserNotFound);
        for (const std::string& role : u->roles()) response->add_roles(role);
        ctx_.fill(response->mutable_header());
        return std::nullopt;
      });
}

Reactor* AuthService::UserList(Ctx* call, const etcdserverpb::AuthUserListRequest*,
                               etcdserverpb::AuthUserListResponse* response) {
  return read(call,
              [this, response](const AuthStore& auth,
                               const regentpb::AuthCaller& caller) -> std::optional<Failure> {
                if (auto denied = as_failure(admin_refusal(auth, caller))) return denied;
                for (const std::string& name : auth.user_names()) response->add_users(name);
                ctx_.fill(response->mutable_header());
                return std::nullopt;
              });
}

Reactor* AuthService::UserDelete(Ctx* call, const etcdserverpb::AuthUserDeleteRequest* request,
                                 etcdserverpb::AuthUserDeleteResponse* response) {
  regentpb::AuthChange change;
  change.mutable_user_delete()->set_name(request->name());
  return propose(call, std::move(change), response);
}

Reactor* AuthService::UserGrantRole(Ctx* call,
                                    const etcdserverpb::AuthUserGrantRoleRequest* request,
                                    etcdserverpb::AuthUserGrantRoleResponse* response) {
  regentpb::AuthChange change;
  change.mutable_user_grant_role()->set_user(request->user());
  change.mutable_user_grant_role()->set_role(request->role());
  return propose(call, std::move(change), response);
}

Reactor* AuthService::UserRevokeRole(Ctx* call,
                                     const etcdserverpb::AuthUserRevokeRoleRequest* request,
                                     etcdserverpb::AuthUserRevokeRoleResponse* response) {
  regentpb::AuthChange change;
  change.mutable_user_revoke_role()->set_user(request->name());
  change.mutable_user_revoke_role()->set_role(request->role());
  return propose(call, std::move(change), response);
}

Reactor* AuthService::RoleAdd(Ctx* call, const etcdserverpb::AuthRoleAddRequest* request,
                              etcdserverpb::AuthRoleAddResponse* response) {
  regentpb::AuthChange change;
  change.mutable_role_add()->set_name(request->name());
  return propose(call, std::move(change), response);
}

Reactor* AuthService::RoleGet(Ctx* call, const etcdserverpb::AuthRoleGetRequest* request,
                              etcdserverpb::AuthRoleGetResponse* response) {
  return read(
      call,
      [this, role = request->role(), response](
          const AuthStore& auth, const regentpb::AuthCaller& caller) -> std::optional<Failure> {
        // Root may look at any role; a user at the roles it holds (etcd's authApplierV3.RoleGet).
        if (auto r = caller_refusal(auth, caller)) return from_kv(*r);
        if (auth.enabled()) {
          const regentpb::AuthUser* self = auth.user(caller.username());
          const bool holds = self && std::find(self->roles().begin(), self->roles().end(), role) !=
                                         self->roles().end();
          if (!holds) {
            if (auto denied = as_failure(admin_refusal(auth, caller))) return denied;
          }
        }
        ctx_.fill(response->mutable_header());
        if (role == kRootName) {  // Every key, read and write, as etcd answers for root.
          authpb::Permission* all = response->add_perm();
          all->set_permtype(authpb::Permission::READWRITE);
          all->set_range_end(std::string(1, '\0'));
          return std::nullopt;
        }
        const regentpb::AuthRole* r = auth.role(role);
        if (!r) return refused(err::kRoleNotFound);
        for (const regentpb::AuthPermission& p : r->permissions())
          *response->add_perm() = to_api(p);
        return std::nullopt;
      });
}

Reactor* AuthService::RoleList(Ctx* call, const etcdserverpb::AuthRoleListRequest*,
                               etcdserverpb::AuthRoleListResponse* response) {
  return read(call,
              [this, response](const AuthStore& auth,
                               const regentpb::AuthCaller& caller) -> std::optional<Failure> {
                if (auto denied = as_failure(admin_refusal(auth, caller))) return denied;
                for (const std::string& name : auth.role_names()) response->add_roles(name);
                ctx_.fill(response->mutable_header());
                return std::nullopt;
              });
}

Reactor* AuthService::RoleDelete(Ctx* call, const etcdserverpb::AuthRoleDeleteRequest* request,
                                 etcdserverpb::AuthRoleDeleteResponse* response) {
  regentpb::AuthChange change;
  change.mutable_role_delete()->set_name(request->role());
  return propose(call, std::move(change), response);
}

Reactor* AuthService::RoleGrantPermission(
    Ctx* call, const etcdserverpb::AuthRoleGrantPermissionRequest* request,
    etcdserverpb::AuthRoleGrantPermissionResponse* response) {
  regentpb::AuthChange change;
  auto* grant = change.mutable_role_grant_permission();
  grant->set_role(request->name());
  if (request->has_perm()) *grant->mutable_permission() = from_api(request->perm());
  return propose(call, std::move(change), response);
}

Reactor* AuthService::RoleRevokePermission(
    Ctx* call, const etcdserverpb::AuthRoleRevokePermissionRequest* request,
    etcdserverpb::AuthRoleRevokePermissionResponse* response) {
  regentpb::AuthChange change;
  auto* revoke = change.mutable_role_revoke_permission();
  revoke->set_role(request->role());
  revoke->set_key(request->key());
  revoke->set_range_end(request->range_end());
  return propose(call, std::move(change), response);
}

}  // namespace regent::server
