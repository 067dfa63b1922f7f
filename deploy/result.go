package deploy

import (
	"github.com/omdeploy/omdeploy/internal/result"
)

// Result is what one engine command did, across services.
type Result struct {
	Services []ServiceResult
}

// ServiceResult is one service's outcome. The JSON contract owns the type
// (it is the document's services[] entry), so its fields change there, in
// internal/result, with the schema.
type ServiceResult = result.Service
