// etcdserverpb.Auth: users, roles and their permissions, turning auth on and off, and
// Authenticate, which hands out the simple tokens that every other call presents.
//
// Changes go through the log (node/auth_store.h applies them, node/auth_check.h decides who may);
// passwords are hashed here, before proposing, on the password worker (bcrypt is slow by
// design), so the log carries hashes only. Reads of users and roles are linearizable and answered
// from this member's store once it has applied everything committed when they were asked.
#pragma once

#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/api/service_context.h"
#include "server/auth/attempt_limiter.h"
#include "server/auth/password_worker.h"

namespace regent::server {

class AuthService final : public etcdserverpb::Auth::CallbackService {
 public:
  struct Options {
    int bcrypt_cost = 10;  // --bcrypt-cost
  };
  AuthService(const ServiceContext& context, SimpleTokens& tokens, PasswordWorker& worker,
              AttemptLimiter& attempts, Options options)
      : ctx_(context), tokens_(tokens), worker_(worker), attempts_(attempts), options_(options) {}

  using Ctx = grpc::CallbackServerContext;
  using Reactor = grpc::ServerUnaryReactor;
  Reactor* AuthEnable(Ctx* call, const etcdserverpb::AuthEnableRequest* request,
                      etcdserverpb::AuthEnableResponse* response) override;
  Reactor* AuthDisable(Ctx* call, const etcdserverpb::AuthDisableRequest* request,
                       etcdserverpb::AuthDisableResponse* response) override;
  Reactor* AuthStatus(Ctx* call, const etcdserverpb::AuthStatusRequest* request,
                      etcdserverpb::AuthStatusResponse* response) override;
  Reactor* Authenticate(Ctx* call, const etcdserverpb::AuthenticateRequest* request,
                        etcdserverpb::AuthenticateResponse* response) override;
  Reactor* UserAdd(Ctx* call, const etcdserverpb::AuthUserAddRequest* request,
                   etcdserverpb::AuthUserAddResponse* response) override;
  Reactor* UserGet(Ctx* call, const etcdserverpb::AuthUserGetRequest* request,
                   etcdserverpb::AuthUserGetResponse* response) override;
  Reactor* UserList(Ctx* call, const etcdserverpb::AuthUserListRequest* request,
                    etcdserverpb::AuthUserListResponse* response) override;
  Reactor* UserDelete(Ctx* call, const etcdserverpb::AuthUserDeleteRequest* request,
                      etcdserverpb::AuthUserDeleteResponse* response) override;
  Reactor* UserChangePassword(Ctx* call, const etcdserverpb::AuthUserChangePasswordRequest* request,
                              etcdserverpb::AuthUserChangePasswordResponse* response) override;
  Reactor* UserGrantRole(Ctx* call, const etcdserverpb::AuthUserGrantRoleRequest* request,
                         etcdserverpb::AuthUserGrantRoleResponse* response) override;
  Reactor* UserRevokeRole(Ctx* call, const etcdserverpb::AuthUserRevokeRoleRequest* request,
                          etcdserverpb::AuthUserRevokeRoleResponse* response) override;
  Reactor* RoleAdd(Ctx* call, const etcdserverpb::AuthRoleAddRequest* request,
                   etcdserverpb::AuthRoleAddResponse* response) override;
  Reactor* RoleGet(Ctx* call, const etcdserverpb::AuthRoleGetRequest* request,
                   etcdserverpb::AuthRoleGetResponse* response) override;
  Reactor* RoleList(Ctx* call, const etcdserverpb::AuthRoleListRequest* request,
                    etcdserverpb::AuthRoleListResponse* response) override;
  Reactor* RoleDelete(Ctx* call, const etcdserverpb::AuthRoleDeleteRequest* request,
                      etcdserverpb::AuthRoleDeleteResponse* response) override;
  Reactor* RoleGrantPermission(Ctx* call,
                               const etcdserverpb::AuthRoleGrantPermissionRequest* request,
                               etcdserverpb::AuthRoleGrantPermissionResponse* response) override;
  Reactor* RoleRevokePermission(Ctx* call,
                                const etcdserverpb::AuthRoleRevokePermissionRequest* request,
                                etcdserverpb::AuthRoleRevokePermissionResponse* response) override;

 private:
  // Proposes `change` for the call's caller; answers with a header once applied.
  template <class Response>
  Reactor* propose(Ctx* call, regentpb::AuthChange change, Response* response);
  // Proposes a stamped `proposal`; finishes `reactor` with a header once applied.
  template <class Response>
  void send(Reactor* reactor, regentpb::InternalRequest proposal, Response* response);
  // As propose(), with `password` hashed on the worker first (UserAdd, UserChangePassword).
  template <class Response, class SetHash>
  Reactor* propose_hashed(Ctx* call, regentpb::AuthChange change, std::string password,
                          SetHash set_hash, Response* response);
  // A linearizable read of the auth store for the call's caller: `answer` runs once this member
  // has applied everything committed when it was asked.
  template <class Answer>
  Reactor* read(Ctx* call, Answer answer);
  // Authenticate's second step: the password matched at `checked`; the token goes through the
  // log so that every member knows it.
  void issue_token(Reactor* reactor, const std::string& name, uint64_t checked,
                   etcdserverpb::AuthenticateResponse* response);

  const ServiceContext& ctx_;
  SimpleTokens& tokens_;
  PasswordWorker& worker_;
  AttemptLimiter& attempts_;
  const Options options_;
};

}  // namespace regent::server
