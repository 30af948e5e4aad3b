package docrtest

import (
	"context"

	"github.com/docr-dev/docr/gen"
)

// api implements the generated strict server interface: one method per
// operation of the spec, so that a change of the spec breaks the fake at
// compile time. Errors are *apiError values, which the strict handler's
// ResponseErrorHandlerFunc writes as the API's error body.
type api struct{ s *Server }

var _ gen.StrictServerInterface = (*api)(nil)

func strOf[T ~string](p *T) *string {
	if p == nil {
		return nil
	}
	return ptr(string(*p))
}

// --- /v2/registries ------------------------------------------------------

func (a *api) RegistriesList(context.Context, gen.RegistriesListRequestObject) (gen.RegistriesListResponseObject, error) {
	return gen.RegistriesList200JSONResponse{AllRegistriesInfoResponseJSONResponse: a.s.listRegistries()}, nil
}

func (a *api) RegistriesCreate(_ context.Context, req gen.RegistriesCreateRequestObject) (gen.RegistriesCreateResponseObject, error) {
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
	var out gen.RegistriesCreate201JSONResponse
	out.Body.Registry = ptr(baseJSON(reg))
	return out, nil
}

func (a *api) RegistriesGetOptions(context.Context, gen.RegistriesGetOptionsRequestObject) (gen.RegistriesGetOptionsResponseObject, error) {
	return gen.RegistriesGetOptions200JSONResponse{RegistryOptionsResponseJSONResponse: a.s.options()}, nil
}

func (a *api) RegistriesGetSubscription(context.Context, gen.RegistriesGetSubscriptionRequestObject) (gen.RegistriesGetSubscriptionResponseObject, error) {
	return gen.RegistriesGetSubscription200JSONResponse{SubscriptionResponseJSONResponse: a.s.subscription()}, nil
}

func (a *api) RegistriesUpdateSubscription(_ context.Context, req gen.RegistriesUpdateSubscriptionRequestObject) (gen.RegistriesUpdateSubscriptionResponseObject, error) {
	var slug *string
	if req.Body != nil {
		slug = strOf(req.Body.TierSlug)
	}
	out, err := a.s.updateSubscription(slug)
	if err != nil {
		return nil, err
	}
	return gen.RegistriesUpdateSubscription200JSONResponse{SubscriptionResponseJSONResponse: out}, nil
}

func (a *api) RegistriesValidateName(_ context.Context, req gen.RegistriesValidateNameRequestObject) (gen.RegistriesValidateNameResponseObject, error) {
	if req.Body == nil {
		return nil, errBadRequest("The request body is missing.")
	}
	if err := a.s.validateName(req.Body.Name); err != nil {
		return nil, err
	}
	return gen.RegistriesValidateName204Response{}, nil
}

func (a *api) RegistriesDelete(_ context.Context, req gen.RegistriesDeleteRequestObject) (gen.RegistriesDeleteResponseObject, error) {
	if err := a.s.deleteRegistry(&req.RegistryName); err != nil {
		return nil, err
	}
	return gen.RegistriesDelete204Response{}, nil
}

func (a *api) RegistriesGet(_ context.Context, req gen.RegistriesGetRequestObject) (gen.RegistriesGetResponseObject, error) {
	s := a.s
	s.lock()
	defer s.mu.Unlock()
	reg, err := s.st.registry(req.RegistryName)
	if err != nil {
		return nil, err
	}
	var out gen.RegistriesGet200JSONResponse
	out.Body.Registry = ptr(baseJSON(reg))
	return out, nil
}

func (a *api) RegistriesGetDockerCredentials(_ context.Context, req gen.RegistriesGetDockerCredentialsRequestObject) (gen.RegistriesGetDockerCredentialsResponseObject, error) {
	out, err := a.s.issue("registries_get_dockerCredentials", &req.RegistryName, req.Params.ReadWrite, req.Params.ExpirySeconds)
	if err != nil {
		return nil, err
	}
	return gen.RegistriesGetDockerCredentials200JSONResponse{DockerCredentialsResponseJSONResponse: out}, nil
}

func (a *api) RegistriesGetGarbageCollection(_ context.Context, req gen.RegistriesGetGarbageCollectionRequestObject) (gen.RegistriesGetGarbageCollectionResponseObject, error) {
	out, err := a.s.activeGC(req.RegistryName)
	if err != nil {
		return nil, err
	}
	return gen.RegistriesGetGarbageCollection200JSONResponse{GarbageCollectionResponseJSONResponse: out}, nil
}

func (a *api) RegistriesRunGarbageCollection(_ context.Context, req gen.RegistriesRunGarbageCollectionRequestObject) (gen.RegistriesRunGarbageCollectionResponseObject, error) {
	out, err := a.s.startGC(req.RegistryName, req.Body)
	if err != nil {
		return nil, err
	}
	return gen.RegistriesRunGarbageCollection201JSONResponse{GarbageCollectionResponseJSONResponse: out}, nil
}

func (a *api) RegistriesUpdateGarbageCollection(_ context.Context, req gen.RegistriesUpdateGarbageCollectionRequestObject) (gen.RegistriesUpdateGarbageCollectionResponseObject, error) {
	out, err := a.s.updateGC(req.RegistryName, req.GarbageCollectionUuid, req.Body)
	if err != nil {
		return nil, err
	}
	return gen.RegistriesUpdateGarbageCollection200JSONResponse{GarbageCollectionResponseJSONResponse: out}, nil
}

func (a *api) RegistriesListGarbageCollections(ctx context.Context, req gen.RegistriesListGarbageCollectionsRequestObject) (gen.RegistriesListGarbageCollectionsResponseObject, error) {
	out, err := a.s.listGCs(ctx, req.RegistryName, req.Params.Page, req.Params.PerPage)
	if err != nil {
		return nil, err
	}
	return gen.RegistriesListGarbageCollections200JSONResponse{GarbageCollectionsResponseJSONResponse: out}, nil
}

func (a *api) RegistriesDeleteRepository(_ context.Context, req gen.RegistriesDeleteRepositoryRequestObject) (gen.RegistriesDeleteRepositoryResponseObject, error) {
	if err := a.s.deleteRepository(req.RegistryName, req.RepositoryName); err != nil {
		return nil, err
	}
	return gen.RegistriesDeleteRepository204Response{}, nil
}

func (a *api) RegistriesListRepositoryManifests(ctx context.Context, req gen.RegistriesListRepositoryManifestsRequestObject) (gen.RegistriesListRepositoryManifestsResponseObject, error) {
	out, err := a.s.listManifests(ctx, req.RegistryName, req.RepositoryName, req.Params.Page, req.Params.PerPage)
	if err != nil {
		return nil, err
	}
	return gen.RegistriesListRepositoryManifests200JSONResponse{RepositoryManifestsResponseJSONResponse: out}, nil
}

func (a *api) RegistriesDeleteRepositoryManifest(_ context.Context, req gen.RegistriesDeleteRepositoryManifestRequestObject) (gen.RegistriesDeleteRepositoryManifestResponseObject, error) {
	if err := a.s.deleteManifest(req.RegistryName, req.RepositoryName, req.ManifestDigest); err != nil {
		return nil, err
	}
	return gen.RegistriesDeleteRepositoryManifest204Response{}, nil
}

func (a *api) RegistriesListRepositoryTags(ctx context.Context, req gen.RegistriesListRepositoryTagsRequestObject) (gen.RegistriesListRepositoryTagsResponseObject, error) {
	out, err := a.s.listTags(ctx, req.RegistryName, req.RepositoryName, req.Params.Page, req.Params.PerPage)
	if err != nil {
		return nil, err
	}
	return gen.RegistriesListRepositoryTags200JSONResponse{RepositoryTagsResponseJSONResponse: out}, nil
}

func (a *api) RegistriesDeleteRepositoryTag(_ context.Context, req gen.RegistriesDeleteRepositoryTagRequestObject) (gen.RegistriesDeleteRepositoryTagResponseObject, error) {
	if err := a.s.deleteTag(req.RegistryName, req.RepositoryName, req.RepositoryTag); err != nil {
		return nil, err
	}
	return gen.RegistriesDeleteRepositoryTag204Response{}, nil
}

func (a *api) RegistriesListRepositoriesV2(ctx context.Context, req gen.RegistriesListRepositoriesV2RequestObject) (gen.RegistriesListRepositoriesV2ResponseObject, error) {
	out, err := a.s.listRepositoriesV2(ctx, req.RegistryName, req.Params.Page, req.Params.PerPage, req.Params.PageToken)
	if err != nil {
		return nil, err
	}
	return gen.RegistriesListRepositoriesV2200JSONResponse{AllRepositoriesV2ResponseJSONResponse: out}, nil
}

// --- /v2/registry (deprecated, single registry) ---------------------------

func (a *api) RegistryDelete(context.Context, gen.RegistryDeleteRequestObject) (gen.RegistryDeleteResponseObject, error) {
	if err := a.s.deleteRegistry(nil); err != nil {
		return nil, err
	}
	return gen.RegistryDelete204Response{}, nil
}

func (a *api) RegistryGet(context.Context, gen.RegistryGetRequestObject) (gen.RegistryGetResponseObject, error) {
	s := a.s
	s.lock()
	defer s.mu.Unlock()
	reg, err := s.st.single()
	if err != nil {
		return nil, err
	}
	var out gen.RegistryGet200JSONResponse
	out.Body.Registry = ptr(s.st.registryJSON(reg))
	return out, nil
}

func (a *api) RegistryCreate(_ context.Context, req gen.RegistryCreateRequestObject) (gen.RegistryCreateResponseObject, error) {
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
	var out gen.RegistryCreate201JSONResponse
	out.Body.Registry = ptr(s.st.registryJSON(reg))
	return out, nil
}

func (a *api) RegistryGetDockerCredentials(_ context.Context, req gen.RegistryGetDockerCredentialsRequestObject) (gen.RegistryGetDockerCredentialsResponseObject, error) {
	out, err := a.s.issue("registry_get_dockerCredentials", nil, req.Params.ReadWrite, req.Params.ExpirySeconds)
	if err != nil {
		return nil, err
	}
	return gen.RegistryGetDockerCredentials200JSONResponse{DockerCredentialsResponseJSONResponse: out}, nil
}

func (a *api) RegistryGetOptions(context.Context, gen.RegistryGetOptionsRequestObject) (gen.RegistryGetOptionsResponseObject, error) {
	return gen.RegistryGetOptions200JSONResponse{RegistryOptionsResponseJSONResponse: a.s.options()}, nil
}

func (a *api) RegistryGetSubscription(context.Context, gen.RegistryGetSubscriptionRequestObject) (gen.RegistryGetSubscriptionResponseObject, error) {
	return gen.RegistryGetSubscription200JSONResponse{SubscriptionResponseJSONResponse: a.s.subscription()}, nil
}

func (a *api) RegistryUpdateSubscription(_ context.Context, req gen.RegistryUpdateSubscriptionRequestObject) (gen.RegistryUpdateSubscriptionResponseObject, error) {
	var slug *string
	if req.Body != nil {
		slug = strOf(req.Body.TierSlug)
	}
	out, err := a.s.updateSubscription(slug)
	if err != nil {
		return nil, err
	}
	return gen.RegistryUpdateSubscription200JSONResponse{SubscriptionResponseJSONResponse: out}, nil
}

func (a *api) RegistryValidateName(_ context.Context, req gen.RegistryValidateNameRequestObject) (gen.RegistryValidateNameResponseObject, error) {
	if req.Body == nil {
		return nil, errBadRequest("The request body is missing.")
	}
	if err := a.s.validateName(req.Body.Name); err != nil {
		return nil, err
	}
	return gen.RegistryValidateName204Response{}, nil
}

func (a *api) RegistryGetGarbageCollection(_ context.Context, req gen.RegistryGetGarbageCollectionRequestObject) (gen.RegistryGetGarbageCollectionResponseObject, error) {
	out, err := a.s.activeGC(req.RegistryName)
	if err != nil {
		return nil, err
	}
	return gen.RegistryGetGarbageCollection200JSONResponse{GarbageCollectionResponseJSONResponse: out}, nil
}

func (a *api) RegistryRunGarbageCollection(_ context.Context, req gen.RegistryRunGarbageCollectionRequestObject) (gen.RegistryRunGarbageCollectionResponseObject, error) {
	out, err := a.s.startGC(req.RegistryName, req.Body)
	if err != nil {
		return nil, err
	}
	return gen.RegistryRunGarbageCollection201JSONResponse{GarbageCollectionResponseJSONResponse: out}, nil
}

func (a *api) RegistryUpdateGarbageCollection(_ context.Context, req gen.RegistryUpdateGarbageCollectionRequestObject) (gen.RegistryUpdateGarbageCollectionResponseObject, error) {
	out, err := a.s.updateGC(req.RegistryName, req.GarbageCollectionUuid, req.Body)
	if err != nil {
		return nil, err
	}
	return gen.RegistryUpdateGarbageCollection200JSONResponse{GarbageCollectionResponseJSONResponse: out}, nil
}

func (a *api) RegistryListGarbageCollections(ctx context.Context, req gen.RegistryListGarbageCollectionsRequestObject) (gen.RegistryListGarbageCollectionsResponseObject, error) {
	out, err := a.s.listGCs(ctx, req.RegistryName, req.Params.Page, req.Params.PerPage)
	if err != nil {
		return nil, err
	}
	return gen.RegistryListGarbageCollections200JSONResponse{GarbageCollectionsResponseJSONResponse: out}, nil
}

func (a *api) RegistryListRepositories(ctx context.Context, req gen.RegistryListRepositoriesRequestObject) (gen.RegistryListRepositoriesResponseObject, error) {
	out, err := a.s.listRepositories(ctx, req.RegistryName, req.Params.Page, req.Params.PerPage)
	if err != nil {
		return nil, err
	}
	return gen.RegistryListRepositories200JSONResponse{AllRepositoriesResponseJSONResponse: out}, nil
}

func (a *api) RegistryListRepositoryManifests(ctx context.Context, req gen.RegistryListRepositoryManifestsRequestObject) (gen.RegistryListRepositoryManifestsResponseObject, error) {
	out, err := a.s.listManifests(ctx, req.RegistryName, req.RepositoryName, req.Params.Page, req.Params.PerPage)
	if err != nil {
		return nil, err
	}
	return gen.RegistryListRepositoryManifests200JSONResponse{RepositoryManifestsResponseJSONResponse: out}, nil
}

func (a *api) RegistryDeleteRepositoryManifest(_ context.Context, req gen.RegistryDeleteRepositoryManifestRequestObject) (gen.RegistryDeleteRepositoryManifestResponseObject, error) {
	if err := a.s.deleteManifest(req.RegistryName, req.RepositoryName, req.ManifestDigest); err != nil {
		return nil, err
	}
	return gen.RegistryDeleteRepositoryManifest204Response{}, nil
}

func (a *api) RegistryListRepositoryTags(ctx context.Context, req gen.RegistryListRepositoryTagsRequestObject) (gen.RegistryListRepositoryTagsResponseObject, error) {
	out, err := a.s.listTags(ctx, req.RegistryName, req.RepositoryName, req.Params.Page, req.Params.PerPage)
	if err != nil {
		return nil, err
	}
	return gen.RegistryListRepositoryTags200JSONResponse{RepositoryTagsResponseJSONResponse: out}, nil
}

func (a *api) RegistryDeleteRepositoryTag(_ context.Context, req gen.RegistryDeleteRepositoryTagRequestObject) (gen.RegistryDeleteRepositoryTagResponseObject, error) {
	if err := a.s.deleteTag(req.RegistryName, req.RepositoryName, req.RepositoryTag); err != nil {
		return nil, err
	}
	return gen.RegistryDeleteRepositoryTag204Response{}, nil
}

func (a *api) RegistryListRepositoriesV2(ctx context.Context, req gen.RegistryListRepositoriesV2RequestObject) (gen.RegistryListRepositoriesV2ResponseObject, error) {
	out, err := a.s.listRepositoriesV2(ctx, req.RegistryName, req.Params.Page, req.Params.PerPage, req.Params.PageToken)
	if err != nil {
		return nil, err
	}
	return gen.RegistryListRepositoriesV2200JSONResponse{AllRepositoriesV2ResponseJSONResponse: out}, nil
}
