#include "bidtrail/tenders/client.h"

#include "bidtrail/tenders/command_table.h"

namespace bidtrail::tenders {

grpc::Status SendCommand(v1::TendersService::StubInterface* stub, grpc::ClientContext* context,
                         const std::string& request_id, const v1::TenderEvent& event,
                         v1::CommandResult* result, const v1::LateRecording& late) {
  switch (event.event_case()) {
#define BIDTRAIL_SEND(Rpc, request_field, EventCase, event_field) \
  case v1::TenderEvent::EventCase: {                              \
    v1::Rpc##Request request;                                     \
    request.set_request_id(request_id);                           \
    *request.mutable_##request_field() = event.event_field();     \
    if (late.ByteSizeLong() > 0) *request.mutable_late() = late;  \
    v1::Rpc##Response response;                                   \
    grpc::Status status = stub->Rpc(context, request, &response); \
    *result = response.result();                                  \
    return status;                                                \
  }
    BIDTRAIL_TENDER_COMMANDS(BIDTRAIL_SEND)
#undef BIDTRAIL_SEND
    case v1::TenderEvent::kRecordedLate:  // the service makes these
    case v1::TenderEvent::EVENT_NOT_SET:
      break;
  }
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no command");
}

}  // namespace bidtrail::tenders
