package docrtest

import (
	"context"

	"github.com/docr-dev/docr/docrtest/internal/server"
)

// api implements the generated strict server interface: one method per
// operation of the spec, so that a change of the spec breaks the fake at
// compile time. Errors are *apiError values, which the strict handler's
// ResponseErrorHandlerFunc writes as the API's error body.
type api struct{ s *Server }

var _ server.StrictServerInterface = (*api)(nil)

func strOf[T ~string](p *T) *string {
	if p == nil {
		return nil
	}
	return ptr(string(*p))
}

// --- /v2/registries ------------------------------------------------------

func (a *api) RegistriesList(context.Context, server.RegistriesListRequestObject) (server.RegistriesListResponseObject, error) {
	return server.RegistriesList200JSONResponse{AllRegistriesInfoResponseJSONResponse: a.s.listRegistries()}, nil
}

func (a *api) RegistriesCreate(_ context.Context, req server.RegistriesCreateRequestObject) (server.RegistriesCreateResponseObject, error) {
	if req.Body == nil {
		return nil, errBadRequest("The request body is missing.")
	}
	s := a.s
	now := s.lock()
	defer s.mu.Unlock()
	reg, err := s.createRegistry(now, req.Body.Name, strOf(req.Body.Region), strOf(req.Body.SubscriptionTierSlug), false)
	if err != nil {
		return nil, err
	}
	var out server.RegistriesCreate201JSONResponse
	out.Body.Registry = ptr(s.st.baseJSON(reg))
	return out, nil
}

func (a *api) RegistriesGetOptions(context.Context, server.RegistriesGetOptionsRequestObject) (server.RegistriesGetOptionsResponseObject, error) {
	return server.RegistriesGetOptions200JSONResponse{RegistryOptionsResponseJSONResponse: a.s.options()}, nil
}

func (a *api) RegistriesGetSubscription(context.Context, server.RegistriesGetSubscriptionRequestObject) (server.RegistriesGetSubscriptionResponseObject, error) {
	return server.RegistriesGetSubscription200JSONResponse{SubscriptionResponseJSONResponse: a.s.subscription()}, nil
}

func (a *api) RegistriesUpdateSubscription(_ context.Context, req server.RegistriesUpdateSubscriptionRequestObject) (server.RegistriesUpdateSubscriptionResponseObject, error) {
	var slug *string
	if req.Body != nil {
		slug = strOf(req.Body.TierSlug)
	}
	out, err := a.s.updateSubscription(slug)
	if err != nil {
		return nil, err
	}
	return server.RegistriesUpdateSubscription200JSONResponse{SubscriptionResponseJSONResponse: out}, nil
}

func (a *api) RegistriesValidateName(_ context.Context, req server.RegistriesValidateNameRequestObject) (server.RegistriesValidateNameResponseObject, error) {
	if req.Body == nil {
		return nil, errBadRequest("The request body is missing.")
	}
	if err := a.s.validateName(req.Body.Name); err != nil {
		return nil, err
	}
	return server.RegistriesValidateName204Response{}, nil
}

func (a *api) RegistriesDelete(_ context.Context, req server.RegistriesDeleteRequestObject) (server.RegistriesDeleteResponseObject, error) {
	if err := a.s.deleteRegistry(&req.RegistryName); err != nil {
		return nil, err
	}
	return server.RegistriesDelete204Response{}, nil
}

func (a *api) RegistriesGet(_ context.Context, req server.RegistriesGetRequestObject) (server.RegistriesGetResponseObject, error) {
	s := a.s
	s.lock()
	defer s.mu.Unlock()
	reg, err := s.st.registry(req.RegistryName)
	if err != nil {
		return nil, err
	}
	var out server.RegistriesGet200JSONResponse
	out.Body.Registry = ptr(s.st.baseJSON(reg))
	return out, nil
}

func (a *api) RegistriesGetDockerCredentials(_ context.Context, req server.RegistriesGetDockerCredentialsRequestObject) (server.RegistriesGetDockerCredentialsResponseObject, error) {
	out, err := a.s.issue("registries_get_dockerCredentials", &req.RegistryName, req.Params.ReadWrite, req.Params.ExpirySeconds)
	if err != nil {
		return nil, err
	}
	return server.RegistriesGetDockerCredentials200JSONResponse{DockerCredentialsResponseJSONResponse: out}, nil
}

func (a *api) RegistriesGetGarbageCollection(_ context.Context, req server.RegistriesGetGarbageCollectionRequestObject) (server.RegistriesGetGarbageCollectionResponseObject, error) {
	out, err := a.s.activeGC(req.RegistryName)
	if err != nil {
		return nil, err
	}
	return server.RegistriesGetGarbageCollection200JSONResponse{GarbageCollectionResponseJSONResponse: out}, nil
}

func (a *api) RegistriesRunGarbageCollection(_ context.Context, req server.RegistriesRunGarbageCollectionRequestObject) (server.RegistriesRunGarbageCollectionResponseObject, error) {
	out, err := a.s.startGC(req.RegistryName, req.Body)
	if err != nil {
		return nil, err
	}
	return server.RegistriesRunGarbageCollection201JSONResponse{GarbageCollectionResponseJSONResponse: out}, nil
}

func (a *api) RegistriesUpdateGarbageCollection(_ context.Context, req server.RegistriesUpdateGarbageCollectionRequestObject) (server.RegistriesUpdateGarbageCollectionResponseObject, error) {
	out, err := a.s.updateGC(req.RegistryName, req.GarbageCollectionUuid, req.Body)
	if err != nil {
		return nil, err
	}
	return server.RegistriesUpdateGarbageCollection200JSONResponse{GarbageCollectionResponseJSONResponse: out}, nil
}

func (a *api) RegistriesListGarbageCollections(ctx context.Context, req server.RegistriesListGarbageCollectionsRequestObject) (server.RegistriesListGarbageCollectionsResponseObject, error) {
	out, err := a.s.listGCs(ctx, req.RegistryName, req.Params.Page, req.Params.PerPage)
	if err != nil {
		return nil, err
	}
	return server.RegistriesListGarbageCollections200JSONResponse{GarbageCollectionsResponseJSONResponse: out}, nil
}

func (a *api) RegistriesDeleteRepository(_ context.Context, req server.RegistriesDeleteRepositoryRequestObject) (server.RegistriesDeleteRepositoryResponseObject, error) {
	if err := a.s.deleteRepository(req.RegistryName, req.RepositoryName); err != nil {
		return nil, err
	}
	return server.RegistriesDeleteRepository204Response{}, nil
}

func (a *api) RegistriesListRepositoryManifests(ctx context.Context, req server.RegistriesListRepositoryManifestsRequestObject) (server.RegistriesListRepositoryManifestsResponseObject, error) {
	out, err := a.s.listManifests(ctx, req.RegistryName, req.RepositoryName, req.Params.Page, req.Params.PerPage)
	if err != nil {
		return nil, err
	}
	return server.RegistriesListRepositoryManifests200JSONResponse{RepositoryManifestsResponseJSONResponse: out}, nil
}

func (a *api) RegistriesDeleteRepositoryManifest(_ context.Context, req server.RegistriesDeleteRepositoryManifestRequestObject) (server.RegistriesDeleteRepositoryManifestResponseObject, error) {
	if err := a.s.deleteManifest(req.RegistryName, req.RepositoryName, req.ManifestDigest); err != nil {
		return nil, err
	}
	return server.RegistriesDeleteRepositoryManifest204Response{}, nil
}

func (a *api) RegistriesListRepositoryTags(ctx context.Context, req server.RegistriesListRepositoryTagsRequestObject) (server.RegistriesListRepositoryTagsResponseObject, error) {
	out, err := a.s.listTags(ctx, req.RegistryName, req.RepositoryName, req.Params.Page, req.Params.PerPage)
	if err != nil {
		return nil, err
	}
	return server.RegistriesListRepositoryTags200JSONResponse{RepositoryTagsResponseJSONResponse: out}, nil
}

func (a *api) RegistriesDeleteRepositoryTag(_ context.Context, req server.RegistriesDeleteRepositoryTagRequestObject) (server.RegistriesDeleteRepositoryTagResponseObject, error) {
	if err := a.s.deleteTag(req.RegistryName, req.RepositoryName, req.RepositoryTag); err != nil {
		return nil, err
	}
	return server.RegistriesDeleteRepositoryTag204Response{}, nil
}

func (a *api) RegistriesListRepositoriesV2(ctx context.Context, req server.RegistriesListRepositoriesV2RequestObject) (server.RegistriesListRepositoriesV2ResponseObject, error) {
	out, err := a.s.listRepositoriesV2(ctx, req.RegistryName, req.Params.Page, req.Params.PerPage, req.Params.PageToken)
	if err != nil {
		return nil, err
	}
	return server.RegistriesListRepositoriesV2200JSONResponse{AllRepositoriesV2ResponseJSONResponse: out}, nil
}

// --- /v2/registry (deprecated, single registry) ---------------------------

func (a *api) RegistryDelete(context.Context, server.RegistryDeleteRequestObject) (server.RegistryDeleteResponseObject, error) {
	if err := a.s.deleteRegistry(nil); err != nil {
		return nil, err
	}
	return server.RegistryDelete204Response{}, nil
}

func (a *api) RegistryGet(context.Context, server.RegistryGetRequestObject) (server.RegistryGetResponseObject, error) {
	s := a.s
	s.lock()
	defer s.mu.Unlock()
	reg, err := s.st.single()
	if err != nil {
		return nil, err
	}
	var out server.RegistryGet200JSONResponse
	out.Body.Registry = ptr(s.st.registryJSON(reg))
	return out, nil
}

func (a *api) RegistryCreate(_ context.Context, req server.RegistryCreateRequestObject) (server.RegistryCreateResponseObject, error) {
	if req.Body == nil {
		return nil, errBadRequest("The request body is missing.")
	}
	s := a.s
	now := s.lock()
	defer s.mu.Unlock()
	reg, err := s.createRegistry(now, req.Body.Name, strOf(req.Body.Region), ptr(string(req.Body.SubscriptionTierSlug)), true)
	if err != nil {
		return nil, err
	}
	var out server.RegistryCreate201JSONResponse
	out.Body.Registry = ptr(s.st.registryJSON(reg))
	return out, nil
}

func (a *api) RegistryGetDockerCredentials(_ context.Context, req server.RegistryGetDockerCredentialsRequestObject) (server.RegistryGetDockerCredentialsResponseObject, error) {
	out, err := a.s.issue("registry_get_dockerCredentials", nil, req.Params.ReadWrite, req.Params.ExpirySeconds)
	if err != nil {
		return nil, err
	}
	return server.RegistryGetDockerCredentials200JSONResponse{DockerCredentialsResponseJSONResponse: out}, nil
}

func (a *api) RegistryGetOptions(context.Context, server.RegistryGetOptionsRequestObject) (server.RegistryGetOptionsResponseObject, error) {
	return server.RegistryGetOptions200JSONResponse{RegistryOptionsResponseJSONResponse: a.s.options()}, nil
}

func (a *api) RegistryGetSubscription(context.Context, server.RegistryGetSubscriptionRequestObject) (server.RegistryGetSubscriptionResponseObject, error) {
	return server.RegistryGetSubscription200JSONResponse{SubscriptionResponseJSONResponse: a.s.subscription()}, nil
}

func (a *api) RegistryUpdateSubscription(_ context.Context, req server.RegistryUpdateSubscriptionRequestObject) (server.RegistryUpdateSubscriptionResponseObject, error) {
	var slug *string
	if req.Body != nil {
		slug = strOf(req.Body.TierSlug)
	}
	out, err := a.s.updateSubscription(slug)
	if err != nil {
		return nil, err
	}
	return server.RegistryUpdateSubscription200JSONResponse{SubscriptionResponseJSONResponse: out}, nil
}

func (a *api) RegistryValidateName(_ context.Context, req server.RegistryValidateNameRequestObject) (server.RegistryValidateNameResponseObject, error) {
	if req.Body == nil {
		return nil, errBadRequest("The request body is missing.")
	}
	if err := a.s.validateName(req.Body.Name); err != nil {
		return nil, err
	}
	return server.RegistryValidateName204Response{}, nil
}

func (a *api) RegistryGetGarbageCollection(_ context.Context, req server.RegistryGetGarbageCollectionRequestObject) (server.RegistryGetGarbageCollectionResponseObject, error) {
	out, err := a.s.activeGC(req.RegistryName)
	if err != nil {
		return nil, err
	}
	return server.RegistryGetGarbageCollection200JSONResponse{GarbageCollectionResponseJSONResponse: out}, nil
}

func (a *api) RegistryRunGarbageCollection(_ context.Context, req server.RegistryRunGarbageCollectionRequestObject) (server.RegistryRunGarbageCollectionResponseObject, error) {
	out, err := a.s.startGC(req.RegistryName, req.Body)
	if err != nil {
		return nil, err
	}
	return server.RegistryRunGarbageCollection201JSONResponse{GarbageCollectionResponseJSONResponse: out}, nil
}

func (a *api) RegistryUpdateGarbageCollection(_ context.Context, req server.RegistryUpdateGarbageCollectionRequestObject) (server.RegistryUpdateGarbageCollectionResponseObject, error) {
	out, err := a.s.updateGC(req.RegistryName, req.GarbageCollectionUuid, req.Body)
	if err != nil {
		return nil, err
	}
	return server.RegistryUpdateGarbageCollection200JSONResponse{GarbageCollectionResponseJSONResponse: out}, nil
}

func (a *api) RegistryListGarbageCollections(ctx context.Context, req server.RegistryListGarbageCollectionsRequestObject) (server.RegistryListGarbageCollectionsResponseObject, error) {
	out, err := a.s.listGCs(ctx, req.RegistryName, req.Params.Page, req.Params.PerPage)
	if err != nil {
		return nil, err
	}
	return server.RegistryListGarbageCollections200JSONResponse{GarbageCollectionsResponseJSONResponse: out}, nil
}

func (a *api) RegistryListRepositories(ctx context.Context, req server.RegistryListRepositoriesRequestObject) (server.RegistryListRepositoriesResponseObject, error) {
	out, err := a.s.listRepositories(ctx, req.RegistryName, req.Params.Page, req.Params.PerPage)
	if err != nil {
		return nil, err
	}
	return server.RegistryListRepositories200JSONResponse{AllRepositoriesResponseJSONResponse: out}, nil
}

func (a *api) RegistryListRepositoryManifests(ctx context.Context, req server.RegistryListRepositoryManifestsRequestObject) (server.RegistryListRepositoryManifestsResponseObject, error) {
	out, err := a.s.listManifests(ctx, req.RegistryName, req.RepositoryName, req.Params.Page, req.Params.PerPage)
	if err != nil {
		return nil, err
	}
	return server.RegistryListRepositoryManifests200JSONResponse{RepositoryManifestsResponseJSONResponse: out}, nil
}

func (a *api) RegistryDeleteRepositoryManifest(_ context.Context, req server.RegistryDeleteRepositoryManifestRequestObject) (server.RegistryDeleteRepositoryManifestResponseObject, error) {
	if err := a.s.deleteManifest(req.RegistryName, req.RepositoryName, req.ManifestDigest); err != nil {
		return nil, err
	}
	return server.RegistryDeleteRepositoryManifest204Response{}, nil
}

func (a *api) RegistryListRepositoryTags(ctx context.Context, req server.RegistryListRepositoryTagsRequestObject) (server.RegistryListRepositoryTagsResponseObject, error) {
	out, err := a.s.listTags(ctx, req.RegistryName, req.RepositoryName, req.Params.Page, req.Params.PerPage)
	if err != nil {
		return nil, err
	}
	return server.RegistryListRepositoryTags200JSONResponse{RepositoryTagsResponseJSONResponse: out}, nil
}

func (a *api) RegistryDeleteRepositoryTag(_ context.Context, req server.RegistryDeleteRepositoryTagRequestObject) (server.RegistryDeleteRepositoryTagResponseObject, error) {
	if err := a.s.deleteTag(req.RegistryName, req.RepositoryName, req.RepositoryTag); err != nil {
		return nil, err
	}
	return server.RegistryDeleteRepositoryTag204Response{}, nil
}

func (a *api) RegistryListRepositoriesV2(ctx context.Context, req server.RegistryListRepositoriesV2RequestObject) (server.RegistryListRepositoriesV2ResponseObject, error) {
	out, err := a.s.listRepositoriesV2(ctx, req.RegistryName, req.Params.Page, req.Params.PerPage, req.Params.PageToken)
	if err != nil {
		return nil, err
	}
	return server.RegistryListRepositoriesV2200JSONResponse{AllRepositoriesV2ResponseJSONResponse: out}, nil
}
